"""Who is acting: a user, an API key or the system, inside one organization."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from clientbase.auth.permissions import ASSIGNED_ONLY_ROLES, ROLE_PERMISSIONS, Permission, Role
from clientbase.core.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    organization_id: uuid.UUID
    role: Role
    kind: str = "user"  # user | api_key | system
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    label: str = ""
    scopes: frozenset[Permission] | None = None
    request_id: str | None = None
    ip: str | None = None
    permissions: frozenset[Permission] = field(init=False)

    def __post_init__(self) -> None:
        allowed = ROLE_PERMISSIONS[self.role]
        if self.scopes is not None:
            allowed = allowed & self.scopes
        object.__setattr__(self, "permissions", allowed)

    @property
    def id(self) -> uuid.UUID | None:
        return self.user_id or self.api_key_id

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise PermissionDenied(f"Your role ({self.role}) may not do this ({permission}).")

    @property
    def sees_assigned_only(self) -> bool:
        return self.role in ASSIGNED_ONLY_ROLES

    @property
    def sees_pii(self) -> bool:
        return self.can(Permission.PII_READ)

    @classmethod
    def system(cls, organization_id: uuid.UUID, label: str = "system") -> Actor:
        return cls(organization_id=organization_id, role=Role.ADMIN, kind="system", label=label)
