#!/usr/bin/python3
"""Generate the fixed test keys in test/keys/ with python3-cryptography.

    /usr/bin/python3 test/make_keys.py

Run once; the keys are checked in so that tokens and expected outputs stay
the same. An existing key file is never overwritten.
"""
import pathlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

KEYS = pathlib.Path(__file__).resolve().parent / "keys"

GENERATORS = {
    "rsa2048_private.pem": lambda: rsa.generate_private_key(65537, 2048),  # rotation: old key
    "rsa2048_b_private.pem": lambda: rsa.generate_private_key(65537, 2048),  # rotation: new key
    "rsa1024_private.pem": lambda: rsa.generate_private_key(65537, 1024),  # too small
    "p256_private.pem": lambda: ec.generate_private_key(ec.SECP256R1()),
    "p256_b_private.pem": lambda: ec.generate_private_key(ec.SECP256R1()),
    "p384_private.pem": lambda: ec.generate_private_key(ec.SECP384R1()),
    "p521_private.pem": lambda: ec.generate_private_key(ec.SECP521R1()),
    "ed25519_private.pem": ed25519.Ed25519PrivateKey.generate,
}


def main():
    for name, generate in GENERATORS.items():
        path = KEYS / name
        if path.exists():
            continue
        pem = generate().private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
        path.write_bytes(pem)
        print("generated", path)


if __name__ == "__main__":
    main()
