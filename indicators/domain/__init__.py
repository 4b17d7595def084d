"""The commune's world without any I/O: the indicator catalog, units and their tree, periods, the
submission models, roles and permissions, the task model, text and number formats.

Imports nothing else of `indicators`: every other package builds on this one.
"""
