"""Choosing release versions from git tags."""
import semver  # noqa: F401  (installed by the setup commands)


def latest(tags, include_prerelease=False):
    """The tag of the highest version, or None."""
    raise NotImplementedError


def bump(tag, part):
    """The next version after `tag` for `part` (major, minor or patch)."""
    raise NotImplementedError
