#!/usr/bin/python3
"""Mint the access tokens the regression tests use, with PyJWT (Debian's
python3-jwt) and, for shapes PyJWT refuses to produce, Python's own hmac and
base64. Nothing here touches the extension's code.

    /usr/bin/python3 test/mint_tokens.py > test/tokens.sql
    /usr/bin/python3 test/mint_tokens.py --check test/tokens.sql

Fixed keys, fixed claims, fixed times far in the past or future: the expected
outputs never depend on the clock. HMAC, RSA PKCS#1 and EdDSA tokens are
deterministic; ECDSA and RSA-PSS signatures are randomized, so --check keeps
each such checked-in token only after checking that its header and payload
are byte for byte what this script mints and that PyJWT verifies its
signature with the script's key. Then the whole file must equal the output.
"""
import base64
import hashlib
import hmac
import json
import pathlib
import re
import sys

import jwt

import mint_jwks

HERE = pathlib.Path(__file__).resolve().parent

# Supabase's local development secret; the tests write it to jcv_logout.jwt_secret_file.
SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
OTHER_SECRET = "another-secret-that-signed-nothing-of-ours-0123456789"
RSA_PRIVATE = (HERE / "keys" / "rsa2048_private.pem").read_text()

ALICE = "11111111-1111-4111-8111-111111111111"
BOB = "22222222-2222-4222-8222-222222222222"
CAROL = "33333333-3333-4333-8333-333333333333"
GHOST = "44444444-4444-4444-8444-444444444444"
ALICE_S1 = "aaaaaaaa-0000-4000-8000-000000000001"
ALICE_S2 = "aaaaaaaa-0000-4000-8000-000000000002"
ALICE_ENDED = "aaaaaaaa-0000-4000-8000-000000000003"
BOB_S1 = "bbbbbbbb-0000-4000-8000-000000000001"
NIL = "00000000-0000-0000-0000-000000000000"

ISSUED = 1764000000        # 2025-11-24
FAR_FUTURE = 4102444800    # 2100-01-01
LONG_AGO = 1600000000      # 2020-09-13
ISSUER = "https://jcvlogout.supabase.co/auth/v1"


def claims(sub=ALICE, session_id=ALICE_S1, email="alice@example.com", **changes):
    """The claims Supabase Auth puts in an access token."""
    body = {
        "aud": "authenticated",
        "exp": FAR_FUTURE,
        "iat": ISSUED,
        "iss": ISSUER,
        "sub": sub,
        "email": email,
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": ISSUED}],
        "session_id": session_id,
        "is_anonymous": False,
    }
    if session_id is None:
        del body["session_id"]
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def hs(body, algorithm="HS256", secret=SECRET, headers=None):
    return jwt.encode(body, secret, algorithm=algorithm, headers=headers)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_hs256(header_json, payload_json, secret=SECRET):
    """A correctly signed token from exact header and payload text (or bytes)."""
    def as_bytes(part):
        return part if isinstance(part, bytes) else part.encode()
    signing_input = b64(as_bytes(header_json)) + "." + b64(as_bytes(payload_json))
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(mac)


def with_raw_claim(name, raw_json, **changes):
    """Claims JSON whose claim `name` is the exact JSON text raw_json."""
    marker = "@RAW@"
    return json.dumps(claims(**{name: marker}, **changes)).replace('"%s"' % marker, raw_json)


def nested_array(depth):
    return "[" * depth + "]" * depth


def noncanonical_signature(token):
    """Same signature bytes, but the last character's unused bits set."""
    head, sig = token.rsplit(".", 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(sig[-1])
    return head + "." + sig[:-1] + alphabet[last | 1]


def tokens():
    good = hs(claims())
    header, payload, signature = good.split(".")
    hs_header = '{"alg":"HS256","typ":"JWT"}'
    yield "alice_s1", good
    yield "alice_s2", hs(claims(session_id=ALICE_S2))
    yield "alice_ended_session", hs(claims(session_id=ALICE_ENDED))
    yield "alice_nil_session", hs(claims(session_id=NIL))
    yield "alice_no_session", hs(claims(session_id=None))
    yield "alice_with_bob_session", hs(claims(session_id=BOB_S1))
    yield "alice_unknown_session", hs(claims(session_id="aaaaaaaa-0000-4000-8000-0000000000ff"))
    yield "alice_upper_case_ids", hs(claims(sub=ALICE.upper(), session_id=ALICE_S1.upper()))
    yield "bob_s1", hs(claims(sub=BOB, session_id=BOB_S1, email="bob@example.com"))
    yield "carol_no_session", hs(claims(sub=CAROL, session_id=None, email="carol@example.com"))
    yield "ghost_user", hs(claims(sub=GHOST, session_id="44444444-0000-4000-8000-000000000001"))

    # Algorithms and headers
    yield "hs384", hs(claims(), algorithm="HS384")
    yield "hs512", hs(claims(), algorithm="HS512")
    yield "with_kid", hs(claims(), headers={"kid": "legacy-hs256"})
    yield "typ_lower_case", hs(claims(), headers={"typ": "jwt"})
    yield "typ_jose", hs(claims(), headers={"typ": "JOSE"})
    yield "crit_header", hs(claims(), headers={"crit": ["exp"]})
    yield "wrong_secret", hs(claims(), secret=OTHER_SECRET)
    yield "rs256", jwt.encode(claims(), RSA_PRIVATE, algorithm="RS256")
    yield "alg_none", jwt.encode(claims(), None, algorithm="none")
    yield "alg_none_signed", b64(b'{"alg":"none","typ":"JWT"}') + "." + payload + "." + signature
    yield "alg_missing", raw_hs256('{"typ":"JWT"}', json.dumps(claims()))
    yield "alg_duplicated", raw_hs256('{"alg":"HS256","alg":"none"}', json.dumps(claims()))

    # Time claims
    yield "expired", hs(claims(exp=LONG_AGO))
    yield "exp_fraction", hs(claims(exp=FAR_FUTURE + 0.5))
    yield "expired_fraction", hs(claims(exp=LONG_AGO + 0.5))
    yield "exp_string", hs(claims(exp=str(FAR_FUTURE)))
    yield "exp_missing", hs(claims(exp=None))
    yield "exp_null", raw_hs256(hs_header, json.dumps(claims()).replace(str(FAR_FUTURE), "null"))
    yield "nbf_future", hs(claims(nbf=3000000000))
    yield "nbf_past", hs(claims(nbf=ISSUED))
    yield "nbf_string", hs(claims(nbf="now"))
    yield "iat_future", hs(claims(iat=3000000000))

    # Audience and issuer
    yield "aud_other", hs(claims(aud="anon-service"))
    yield "aud_array_with_ours", hs(claims(aud=["other", "authenticated"]))
    yield "aud_array_without_ours", hs(claims(aud=["other", "more"]))
    yield "aud_missing", hs(claims(aud=None))
    yield "iss_other", hs(claims(iss="https://evil.example.com/auth/v1"))
    yield "iss_missing", hs(claims(iss=None))

    # Subject and session
    yield "sub_missing", hs(claims(sub=None))
    yield "sub_not_uuid", hs(claims(sub="alice"))
    yield "sub_number", hs(claims(sub=42))
    yield "session_not_uuid", hs(claims(session_id="session-1"))
    yield "session_number", hs(claims(session_id=1))
    yield "sub_duplicated", raw_hs256(
        hs_header, json.dumps(claims())[:-1] + ', "sub": "' + BOB + '"}')

    # Structure
    yield "truncated", header + "." + payload
    yield "extra_dots", good + ".e30"
    yield "empty_signature", header + "." + payload + "."
    yield "padded", header + "." + payload + "=." + signature
    yield "non_base64url", header + "." + payload.replace("e", "+", 1) + "." + signature
    yield "noncanonical_signature", noncanonical_signature(good)
    yield "header_array", raw_hs256('["alg","HS256"]', json.dumps(claims()))
    yield "header_not_json", raw_hs256("alg=HS256", json.dumps(claims()))
    yield "payload_array", raw_hs256(hs_header, json.dumps([claims()]))
    yield "payload_not_json", raw_hs256(hs_header, "sub=" + ALICE)
    yield "payload_nul", raw_hs256(hs_header, json.dumps(claims(email="a\u0000b")))

    # Hostile input (README "Bad input"): every one correctly signed, so the
    # answer is what parsing and the claim rules make of it.
    yield "hostile_exp_huge_integer", raw_hs256(hs_header, with_raw_claim("exp", "99999999999999999999"))
    yield "hostile_exp_int64_min", raw_hs256(hs_header, with_raw_claim("exp", "-9223372036854775808"))
    yield "hostile_exp_overflow_real", raw_hs256(hs_header, with_raw_claim("exp", "1e400"))
    yield "hostile_exp_1e300", raw_hs256(hs_header, with_raw_claim("exp", "1e300"))
    yield "hostile_exp_beyond_double", raw_hs256(hs_header, with_raw_claim("exp", "9007199254740993"))
    yield "hostile_exp_negative", hs(claims(exp=-1))
    yield "hostile_exp_boolean", hs(claims(exp=True))
    yield "hostile_exp_infinity", raw_hs256(hs_header, with_raw_claim("exp", "Infinity"))
    yield "hostile_exp_nan", raw_hs256(hs_header, with_raw_claim("exp", "NaN"))
    yield "hostile_exp_duplicated", raw_hs256(
        hs_header, json.dumps(claims())[:-1] + ', "exp": %d}' % LONG_AGO)
    yield "hostile_iat_1e308", hs(claims(iat=1e308))
    yield "hostile_nbf_minus_1e308", hs(claims(nbf=-1e308))
    yield "hostile_nested_1000", raw_hs256(hs_header, with_raw_claim("user_metadata", nested_array(1000)))
    yield "hostile_nested_10000", raw_hs256(hs_header, with_raw_claim("user_metadata", nested_array(10000)))
    yield "hostile_nested_header", raw_hs256('{"alg":"HS256","x":%s}' % nested_array(10000), json.dumps(claims()))
    yield "hostile_unicode_claims", hs(claims(email="\u00e4lice+\U0001f600@\u0645\u062b\u0627\u0644.example",
                                              user_metadata={"full_name": "A\u0301lice \u202eecila"}))
    yield "hostile_sub_fullwidth_digit", hs(claims(sub="\uff11" + ALICE[1:]))
    yield "hostile_session_cyrillic_a", hs(claims(session_id="\u0430" + ALICE_S1[1:]))
    yield "hostile_sub_json_escapes", raw_hs256(
        hs_header, json.dumps(claims()).replace('"sub": "1', '"sub": "\\u0031'))
    yield "hostile_sub_array", hs(claims(sub=[ALICE]))
    yield "hostile_session_object", hs(claims(session_id={"id": ALICE_S1}))
    yield "hostile_aud_nested_array", hs(claims(aud=[["authenticated"]]))
    yield "hostile_invalid_utf8", raw_hs256(
        hs_header.encode(), json.dumps(claims(email="@X@")).encode().replace(b"@X@", b"\xff\xfe"))
    yield "hostile_overlong_utf8", raw_hs256(
        hs_header.encode(), json.dumps(claims(email="@X@")).encode().replace(b"@X@", b"\xc0\xaf"))
    yield "hostile_lone_surrogate", raw_hs256(hs_header, json.dumps(claims(email="@X@")).replace("@X@", "\\ud800"))
    yield "hostile_raw_nul_byte", raw_hs256(
        hs_header.encode(), json.dumps(claims(email="@X@")).encode().replace(b"@X@", b"a\x00b"))
    yield "hostile_utf8_bom", raw_hs256(hs_header, "\ufeff" + json.dumps(claims()))
    yield "hostile_json_whitespace", raw_hs256(" " + hs_header + "\n", "\t" + json.dumps(claims()) + " ")
    yield "hostile_trailing_garbage", raw_hs256(hs_header, json.dumps(claims()) + "{}")
    yield "hostile_alg_lower_case", raw_hs256('{"alg":"hs256","typ":"JWT"}', json.dumps(claims()))
    yield "hostile_alg_with_nul", raw_hs256('{"alg":"HS256\\u0000","typ":"JWT"}', json.dumps(claims()))
    yield "hostile_typ_number", raw_hs256('{"alg":"HS256","typ":1}', json.dumps(claims()))
    yield "hostile_kid_6000_chars", hs(claims(), headers={"kid": "k" * 6000})
    yield "hostile_signature_6000_bytes", header + "." + payload + "." + b64(b"\x00" * 6000)


    yield from mint_jwks.tokens(claims, randomized)


class CheckFailed(Exception):
    pass


# name -> token from the checked-in file, in --check mode only.
CHECKED_IN = None


def randomized(name, fresh, public_key, algorithm):
    """The token to print for a randomized signature (see the module doc)."""
    if CHECKED_IN is None:
        return fresh
    kept = CHECKED_IN.get(name)
    if kept is None:
        raise CheckFailed(name + ": not in the checked-in file")
    if kept.rsplit(".", 1)[0] != fresh.rsplit(".", 1)[0]:
        raise CheckFailed(name + ": header or claims differ from what the script mints")
    try:
        jwt.PyJWS().decode_complete(kept, public_key, algorithms=[algorithm])
    except jwt.InvalidTokenError as error:
        raise CheckFailed(name + ": signature does not verify with the script's key: " + str(error))
    return kept


def sql_rows(pairs):
    return ",\n".join("('%s', '%s')" % (name, value.replace("'", "''")) for name, value in pairs)


def render():
    return ("-- Generated by test/mint_tokens.py (PyJWT " + jwt.__version__ + "); do not edit.\n"
            "INSERT INTO jcv_test.tokens (name, token) VALUES\n" + sql_rows(tokens()) + ";\n"
            "INSERT INTO jcv_test.key_sets (name, jwks) VALUES\n" + sql_rows(mint_jwks.key_sets()) + ";\n")


def read_checked_in(text):
    rows = re.findall(r"^\('([^']+)', '((?:[^']|'')*)'\)[,;]$", text, re.MULTILINE)
    return {name: value.replace("''", "'") for name, value in rows}


def main():
    global CHECKED_IN
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        text = pathlib.Path(sys.argv[2]).read_text()
        CHECKED_IN = read_checked_in(text)
        try:
            minted = render()
        except CheckFailed as failure:
            print("check failed: " + str(failure), file=sys.stderr)
            sys.exit(1)
        if minted != text:
            print("check failed: %s differs from what the script mints" % sys.argv[2], file=sys.stderr)
            sys.exit(1)
    elif len(sys.argv) == 1:
        sys.stdout.write(render())
    else:
        print("usage: mint_tokens.py [--check tokens.sql]", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
