from backprop_trace.cli import main

main()
