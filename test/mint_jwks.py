"""Asymmetric-key fixtures for test/mint_tokens.py: JSON Web Key Sets built
from the fixed keys in test/keys/ (public parts only, unless a set must show
a private member being refused), and tokens signed by PyJWT with those keys.

ECDSA and RSA-PSS signatures are randomized: each such token goes through
`randomized(name, token, public_key, alg)`, which mint_tokens.py uses to keep
the checked-in token once it has checked it (see mint_tokens.py --check).
"""
import base64
import hashlib
import hmac
import json
import pathlib

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

KEYS = pathlib.Path(__file__).resolve().parent / "keys"

# A symmetric JWK (kty oct): the HMAC secret a JWKS may carry.
OCT_SECRET = b"oct-key-secret-that-signs-hs-tokens-0123456789abcdef"


def load(name):
    return serialization.load_pem_private_key((KEYS / name).read_bytes(), None)


RSA_A = load("rsa2048_private.pem")
RSA_B = load("rsa2048_b_private.pem")
RSA_1024 = load("rsa1024_private.pem")
P256_A = load("p256_private.pem")
P256_B = load("p256_b_private.pem")
P384 = load("p384_private.pem")
P521 = load("p521_private.pem")
ED25519 = load("ed25519_private.pem")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def uint(value, size=None):
    size = size or max(1, (value.bit_length() + 7) // 8)
    return b64(value.to_bytes(size, "big"))


def rsa_jwk(key, kid, **members):
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "n": uint(numbers.n), "e": uint(numbers.e), **members}


def ec_jwk(key, kid, crv, size, **members):
    numbers = key.public_key().public_numbers()
    return {"kty": "EC", "kid": kid, "crv": crv,
            "x": uint(numbers.x, size), "y": uint(numbers.y, size), **members}


def ed25519_jwk(key, kid, **members):
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return {"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(raw), **members}


# As Supabase Auth publishes its keys (/auth/v1/.well-known/jwks.json).
SUPABASE_MEMBERS = {"use": "sig", "key_ops": ["verify"], "ext": True}

JWK_RSA_A = rsa_jwk(RSA_A, "rsa-a")
JWK_RSA_B = rsa_jwk(RSA_B, "rsa-b", alg="RS256", **SUPABASE_MEMBERS)
JWK_P256_A = ec_jwk(P256_A, "p256-a", "P-256", 32, alg="ES256", **SUPABASE_MEMBERS)
JWK_P256_B = ec_jwk(P256_B, "p256-b", "P-256", 32)
JWK_P384 = ec_jwk(P384, "p384", "P-384", 48, use="sig")
JWK_P521 = ec_jwk(P521, "p521", "P-521", 66, alg="ES512", **SUPABASE_MEMBERS)
JWK_ED25519 = ed25519_jwk(ED25519, "ed25519", alg="EdDSA")
JWK_OCT = {"kty": "oct", "kid": "oct-hs", "k": b64(OCT_SECRET)}


def jwks(*keys):
    return json.dumps({"keys": list(keys)})


def changed(jwk, **changes):
    """A copy of a JWK with members replaced (value None: removed)."""
    result = dict(jwk)
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def key_sets():
    """Named JSON Web Key Sets; the bad_ ones must be refused when set."""
    yield "all", jwks(JWK_RSA_A, JWK_P256_A, JWK_P384, JWK_P521, JWK_ED25519, JWK_OCT)
    yield "two_p256", jwks(JWK_P256_A, JWK_P256_B)
    yield "rotation_old", jwks(JWK_RSA_A)
    yield "rotation_both", jwks(JWK_RSA_A, JWK_RSA_B)
    yield "rotation_new", jwks(JWK_RSA_B)
    yield "rsa_a_pinned_rs256", jwks(changed(JWK_RSA_A, alg="RS256"))
    yield "not_for_verification", jwks(
        changed(JWK_RSA_B, use="enc", alg="RSA-OAEP", key_ops=None),
        changed(JWK_P256_A, key_ops=["sign"], use=None),
        JWK_P384)
    yield "empty", jwks()

    yield "bad_not_json", '{"keys": [{"kty": "oct", "k": "c2VjcmV0LXNlY3JldA"'
    yield "bad_not_object", json.dumps([JWK_RSA_A])
    yield "bad_no_keys", json.dumps(JWK_RSA_A)
    yield "bad_keys_not_array", json.dumps({"keys": JWK_RSA_A})
    yield "bad_key_not_object", json.dumps({"keys": ["rsa-a"]})
    yield "bad_kty_missing", jwks(JWK_P256_A, changed(JWK_RSA_A, kty=None))
    yield "bad_kty_unknown", jwks(changed(JWK_RSA_A, kty="RSA-PSS"))
    yield "bad_rsa_n_missing", jwks(changed(JWK_RSA_A, n=None))
    yield "bad_rsa_e_missing", jwks(changed(JWK_RSA_A, e=None))
    yield "bad_rsa_n_padded", jwks(changed(JWK_RSA_A, n=JWK_RSA_A["n"] + "=="))
    yield "bad_rsa_1024", jwks(JWK_RSA_A, rsa_jwk(RSA_1024, "rsa-1024"))
    yield "bad_rsa_even_exponent", jwks(changed(JWK_RSA_A, e=uint(65536)))
    yield "bad_rsa_private_d", jwks(changed(JWK_RSA_A, d=uint(RSA_A.private_numbers().d)))
    yield "bad_rsa_private_p", jwks(changed(JWK_RSA_A, p=uint(RSA_A.private_numbers().p)))
    yield "bad_ec_private_d", jwks(changed(JWK_P256_A, d=uint(P256_A.private_numbers().private_value, 32)))
    yield "bad_ec_x_missing", jwks(changed(JWK_P256_A, x=None))
    yield "bad_ec_y_missing", jwks(changed(JWK_P256_A, y=None))
    yield "bad_ec_crv_missing", jwks(changed(JWK_P256_A, crv=None))
    yield "bad_ec_secp256k1", jwks(changed(JWK_P256_B, crv="secp256k1"))
    yield "bad_ec_x_short", jwks(changed(JWK_P256_B, x=b64(unb64(JWK_P256_B["x"])[1:])))
    yield "bad_ec_p384_coordinates_on_p256", jwks(changed(JWK_P384, crv="P-256"))
    yield "bad_ec_off_curve", jwks(changed(JWK_P256_B, y=JWK_P256_A["y"]))
    yield "bad_okp_x25519", jwks(changed(JWK_ED25519, crv="X25519", alg=None))
    yield "bad_okp_private_d", jwks(changed(JWK_ED25519, d=b64(ED25519.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()))))
    yield "bad_oct_k_missing", jwks(changed(JWK_OCT, k=None))
    yield "bad_kid_duplicated", jwks(JWK_P256_A, changed(JWK_P256_B, kid="p256-a"))
    yield "bad_kid_not_string", jwks(changed(JWK_P256_B, kid=7))
    yield "bad_alg_unknown", jwks(changed(JWK_RSA_A, alg="RS1"))
    yield "bad_alg_for_other_kty", jwks(changed(JWK_RSA_A, alg="ES256"))
    yield "bad_alg_for_other_curve", jwks(changed(JWK_P256_A, alg="ES384"))
    yield "bad_use_not_string", jwks(changed(JWK_P256_A, use=["sig"]))
    yield "bad_key_ops_not_array", jwks(changed(JWK_P256_A, key_ops="verify"))
    yield "bad_ext_not_boolean", jwks(changed(JWK_P256_A, ext="true"))


def pem_public(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def raw_hs256(body, secret, kid=None):
    """HS256 with any bytes as the secret: PyJWT refuses PEM-looking secrets."""
    header = {"alg": "HS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = (b64(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64(json.dumps(body, separators=(",", ":")).encode()))
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(mac)


def resign(token, signature):
    return token.rsplit(".", 1)[0] + "." + b64(signature)


def signature_of(token):
    return unb64(token.rsplit(".", 1)[1])


def tokens(claims, randomized):
    """(name, token) pairs; claims() is mint_tokens.py's Supabase claim set."""
    def sign(key, alg, kid, body=None):
        headers = {"kid": kid} if kid is not None else None
        return jwt.encode(claims() if body is None else body, key, algorithm=alg, headers=headers)

    def sign_randomized(name, key, alg, kid, body=None):
        return randomized(name, sign(key, alg, kid, body), key.public_key(), alg)

    # One per algorithm, with the kid of the key that signed it
    for alg in ("RS256", "RS384", "RS512"):
        yield "jwks_" + alg.lower(), sign(RSA_A, alg, "rsa-a")
    for alg in ("PS256", "PS384", "PS512"):
        yield "jwks_" + alg.lower(), sign_randomized("jwks_" + alg.lower(), RSA_A, alg, "rsa-a")
    es256 = sign_randomized("jwks_es256", P256_A, "ES256", "p256-a")
    yield "jwks_es256", es256
    yield "jwks_es384", sign_randomized("jwks_es384", P384, "ES384", "p384")
    yield "jwks_es512", sign_randomized("jwks_es512", P521, "ES512", "p521")
    yield "jwks_eddsa", sign(ED25519, "EdDSA", "ed25519")
    yield "jwks_hs256_oct", sign(OCT_SECRET, "HS256", "oct-hs")
    yield "jwks_hs512_oct", sign(OCT_SECRET, "HS512", "oct-hs")

    # Without a kid: only when exactly one configured key fits the alg
    yield "jwks_rs256_no_kid", sign(RSA_A, "RS256", None)
    yield "jwks_es256_no_kid", sign_randomized("jwks_es256_no_kid", P256_A, "ES256", None)
    yield "jwks_eddsa_no_kid", sign(ED25519, "EdDSA", None)
    yield "jwks_hs256_oct_no_kid", sign(OCT_SECRET, "HS256", None)

    # Key selection and rotation
    yield "jwks_es256_p256_b", sign_randomized("jwks_es256_p256_b", P256_B, "ES256", "p256-b")
    yield "jwks_es256_signed_by_a_kid_b", sign_randomized("jwks_es256_signed_by_a_kid_b", P256_A, "ES256", "p256-b")
    yield "jwks_rs256_rsa_b", sign(RSA_B, "RS256", "rsa-b")
    yield "jwks_rs256_unknown_kid", sign(RSA_A, "RS256", "rsa-z")
    yield "jwks_hs256_secret_unknown_kid", sign(b"super-secret-jwt-token-with-at-least-32-characters-long",
                                           "HS256", "legacy-hs256")

    # Algorithm confusion: the key decides, never the token
    yield "jwks_hs256_rsa_pem_as_secret", raw_hs256(claims(), pem_public(RSA_A), kid="rsa-a")
    yield "jwks_hs256_rsa_pem_as_secret_no_kid", raw_hs256(claims(), pem_public(RSA_A))
    yield "jwks_hs256_rsa_jwk_as_secret", raw_hs256(claims(), json.dumps(JWK_RSA_A).encode(), kid="rsa-a")
    yield "jwks_hs256_ed25519_as_secret", raw_hs256(claims(), ED25519.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw), kid="ed25519")
    yield "jwks_es256_naming_p384", sign_randomized("jwks_es256_naming_p384", P256_A, "ES256", "p384")
    yield "jwks_es384_naming_p256", sign_randomized("jwks_es384_naming_p256", P384, "ES384", "p256-a")
    yield "jwks_rs256_naming_ec_key", sign(RSA_A, "RS256", "p256-a")
    yield "jwks_eddsa_naming_rsa_key", sign(ED25519, "EdDSA", "rsa-a")
    yield "jwks_hs256_oct_naming_rsa_key", sign(OCT_SECRET, "HS256", "rsa-a")

    # Signature encodings: JOSE r||s of exactly the curve's size, nothing else
    r, s = signature_of(es256)[:32], signature_of(es256)[32:]
    yield "jwks_es256_der_signature", resign(es256, encode_dss_signature(
        int.from_bytes(r, "big"), int.from_bytes(s, "big")))
    yield "jwks_es256_signature_short", resign(es256, signature_of(es256)[:63])
    yield "jwks_es256_signature_long", resign(es256, b"\0" + signature_of(es256))
    yield "jwks_es256_other_payload", (sign(P256_A, "ES256", "p256-a", claims(session_id=None)).rsplit(".", 1)[0]
                                  + "." + es256.rsplit(".", 1)[1])
    rs256 = sign(RSA_A, "RS256", "rsa-a")
    yield "jwks_rs256_signature_short", resign(rs256, signature_of(rs256)[1:])
    yield "jwks_eddsa_other_payload", (sign(ED25519, "EdDSA", "ed25519", claims(session_id=None)).rsplit(".", 1)[0]
                                  + "." + sign(ED25519, "EdDSA", "ed25519").rsplit(".", 1)[1])
