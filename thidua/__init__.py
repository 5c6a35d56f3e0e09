"""The composition root: the `thidua` command, the local stack, the demo loader and the office verbs.

It alone knows every service (`thidua.registry`); the services and `shared/`
know nothing of it.
"""
