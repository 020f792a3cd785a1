"""Shared fixtures: the cast of users (operator, auditor, outsider)."""

import pytest
from django.contrib.auth.models import Group, User


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 costs ~0.3 s per user; tests that make users need no real hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("olivia", password="operator-pass-123")
    user.groups.add(Group.objects.get(name="Restore operators"))
    return user


@pytest.fixture
def auditor(db) -> User:
    user = User.objects.create_user("arthur", password="auditor-pass-123")
    user.groups.add(Group.objects.get(name="Auditors"))
    return user


@pytest.fixture
def outsider(db) -> User:
    return User.objects.create_user("oscar", password="outsider-pass-123")


# Fixture modules owned by their areas (the emulator's live servers, ...).
pytest_plugins = ["tests.fixtures_emulator"]
