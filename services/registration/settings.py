"""Registration settings, from environment variables."""

from servicehost import ServiceSettings


class RegistrationSettings(ServiceSettings):
    grpc_port: int = 50052
