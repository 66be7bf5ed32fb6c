"""Registration settings, from environment variables."""

from pydantic import SecretStr

from servicehost import ServiceSettings


class RegistrationSettings(ServiceSettings):
    grpc_port: int = 50052
    # Master key of the key store (hex): to open sealed descriptions for authorised readers.
    master_key: SecretStr
