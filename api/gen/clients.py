"""Typed clients of the services, generated from the proto and configs/api.yml by tools/generate_clients.py: do not edit."""

from __future__ import annotations

from google.protobuf import empty_pb2

from api.gen import analytics_pb2
from api.gen import auth_pb2
from api.gen import pictures_pb2
from api.gen import users_pb2
from internal.common.sender import ServiceClient
from internal.common.service import CallContext


class UsersClient(ServiceClient):
    """Calls the users service (trident.users.v1.Users) over any transport."""

    SERVICE = "users"

    async def create_user(self, request: users_pb2.CreateUserRequest, ctx: CallContext) -> users_pb2.User:
        return await self._call("CreateUser", request, ctx, users_pb2.User)

    async def get_user(self, request: users_pb2.GetUserRequest, ctx: CallContext) -> users_pb2.User:
        return await self._call("GetUser", request, ctx, users_pb2.User)

    async def get_user_by_username(self, request: users_pb2.GetUserByUsernameRequest, ctx: CallContext) -> users_pb2.User:
        return await self._call("GetUserByUsername", request, ctx, users_pb2.User)

    async def validate_password(self, request: users_pb2.ValidatePasswordRequest, ctx: CallContext) -> users_pb2.User:
        return await self._call("ValidatePassword", request, ctx, users_pb2.User)

    async def delete_user(self, request: users_pb2.DeleteUserRequest, ctx: CallContext) -> empty_pb2.Empty:
        return await self._call("DeleteUser", request, ctx, empty_pb2.Empty)


class AuthClient(ServiceClient):
    """Calls the auth service (trident.auth.v1.Auth) over any transport."""

    SERVICE = "auth"

    async def signup(self, request: auth_pb2.SignupRequest, ctx: CallContext) -> auth_pb2.TokenPair:
        return await self._call("Signup", request, ctx, auth_pb2.TokenPair)

    async def login(self, request: auth_pb2.LoginRequest, ctx: CallContext) -> auth_pb2.TokenPair:
        return await self._call("Login", request, ctx, auth_pb2.TokenPair)

    async def refresh(self, request: auth_pb2.RefreshRequest, ctx: CallContext) -> auth_pb2.TokenPair:
        return await self._call("Refresh", request, ctx, auth_pb2.TokenPair)

    async def logout(self, request: auth_pb2.LogoutRequest, ctx: CallContext) -> empty_pb2.Empty:
        return await self._call("Logout", request, ctx, empty_pb2.Empty)

    async def validate_token(self, request: auth_pb2.ValidateTokenRequest, ctx: CallContext) -> auth_pb2.TokenClaims:
        return await self._call("ValidateToken", request, ctx, auth_pb2.TokenClaims)

    async def get_public_key(self, request: auth_pb2.GetPublicKeyRequest, ctx: CallContext) -> auth_pb2.PublicKey:
        return await self._call("GetPublicKey", request, ctx, auth_pb2.PublicKey)


class PicturesClient(ServiceClient):
    """Calls the pictures service (trident.pictures.v1.Pictures) over any transport."""

    SERVICE = "pictures"

    async def create_picture(self, request: pictures_pb2.CreatePictureRequest, ctx: CallContext) -> pictures_pb2.Picture:
        return await self._call("CreatePicture", request, ctx, pictures_pb2.Picture)

    async def list_pictures(self, request: pictures_pb2.ListPicturesRequest, ctx: CallContext) -> pictures_pb2.ListPicturesResponse:
        return await self._call("ListPictures", request, ctx, pictures_pb2.ListPicturesResponse)

    async def get_picture(self, request: pictures_pb2.GetPictureRequest, ctx: CallContext) -> pictures_pb2.Picture:
        return await self._call("GetPicture", request, ctx, pictures_pb2.Picture)

    async def delete_picture(self, request: pictures_pb2.DeletePictureRequest, ctx: CallContext) -> empty_pb2.Empty:
        return await self._call("DeletePicture", request, ctx, empty_pb2.Empty)

    async def get_thumbnail(self, request: pictures_pb2.GetPictureRequest, ctx: CallContext) -> pictures_pb2.Thumbnail:
        return await self._call("GetThumbnail", request, ctx, pictures_pb2.Thumbnail)


class AnalyticsClient(ServiceClient):
    """Calls the analytics service (trident.analytics.v1.Analytics) over any transport."""

    SERVICE = "analytics"

    async def log_data(self, request: analytics_pb2.CallLogs, ctx: CallContext) -> empty_pb2.Empty:
        return await self._call("LogData", request, ctx, empty_pb2.Empty)

    async def get_logs(self, request: analytics_pb2.GetLogsRequest, ctx: CallContext) -> analytics_pb2.GetLogsResponse:
        return await self._call("GetLogs", request, ctx, analytics_pb2.GetLogsResponse)

    async def get_trace(self, request: analytics_pb2.GetTraceRequest, ctx: CallContext) -> analytics_pb2.Trace:
        return await self._call("GetTrace", request, ctx, analytics_pb2.Trace)
