"""Word lists shipped with the de-identification engine (plain text, one entry a line).

A package only so that the lists install with the appliance and load through importlib.resources.
README.md says where each list comes from and under which licence.
"""
