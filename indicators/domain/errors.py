"""Errors the core explains to the user in Vietnamese (pages show them, the CLI prints them)."""


class StoreError(Exception):
    """A store problem explained in Vietnamese for the user."""


class StoreLockedError(StoreError):
    pass


class PermissionDenied(StoreError):
    """The actor's role (or assigned units) does not allow this action."""
