"""Renderers: pure functions of a Trace. Only this package imports rich."""
