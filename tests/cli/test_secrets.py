"""No private key and no passphrase is ever printed, stored in a repository or left readable.

One test walks through what a user does with wallets and keys, the happy paths
and the mistakes (a mistyped key, a wrong passphrase, arguments in the wrong
order, `-v` tracebacks), records everything nit printed, and then searches it.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

PASSPHRASE = "Tr0ub4dor&3 horse staple"
PHOTO = "Canon_40D.jpg"
OTHER_KEY = "0x" + "5a" * 32  # a second throwaway key, for the `wallet create` one we never see


def key_fragments(key: str) -> set[str]:
    """Every 16-digit window of the key's hex: a printed near-miss would contain one."""
    digits = key.lower().removeprefix("0x")
    return {digits[i : i + 16] for i in range(len(digits) - 15)}


def assert_no_secret(text: str, key: str, where: str) -> None:
    lowered = text.lower()
    leaked = [f for f in key_fragments(key) if f in lowered]
    assert not leaked, f"key material printed in {where}: {leaked[:3]}"
    assert PASSPHRASE not in text, f"passphrase printed in {where}"
    assert PASSPHRASE.lower() not in lowered, where


def test_keys_and_passphrases_never_leak(nit, workdir, media, isolated_env, private_key):
    printed: list[tuple[str, str]] = []

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None, code=0):  # type: ignore[no-untyped-def]
        result = nit(*args, env=env, input=input)
        printed.append((" ".join(args), result.stdout + result.stderr))
        if code is not None:
            assert result.exit_code == code, (args, result.output)
        return result

    with_pass = {"NIT_PASSPHRASE": PASSPHRASE}
    bare = private_key.removeprefix("0x")
    near_miss = "0xzz" + bare[2:]

    # Wallets: create one, import the test key from stdin (not a TTY here).
    run("wallet", "create", env=with_pass)
    run("wallet", "import", "signer", env=with_pass, input=private_key + "\n")
    run("wallet", "import", "bare", env=with_pass, input=bare.upper() + "\n")
    run("wallet", "list")
    run("wallet", "list", "--json")
    run("wallet", "address")
    run("wallet", "address", "signer", "--json")

    # A repository, signing with the imported wallet.
    run("init")
    media(PHOTO)
    run("config", "set", "user.wallet", "signer")
    run("add", PHOTO, "--license", "cc-by-4.0")
    committed = run("commit", "-m", "signed", env=with_pass)
    assert "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23" in committed.stdout
    for args in (
        ["log"],
        ["log", "--json"],
        ["show", PHOTO, "--json"],
        ["verify", PHOTO],
        ["verify", PHOTO, "--json"],
        ["fsck", "--json"],
        ["config", "list"],
        ["config", "list", "--json"],
        ["status", "--json"],
    ):
        run(*args, env=with_pass)
    run("config", "list", "--json", env={"NIT_PRIVATE_KEY": private_key})
    run("wallet", "address", "--json", env={"NIT_PRIVATE_KEY": private_key})

    # Mistakes, with and without -v.
    run("add", PHOTO, "--license", "mit")
    for verbose in ([], ["-v"]):
        run(*verbose, "commit", "-m", "x", env={"NIT_PRIVATE_KEY": near_miss}, code=6)
        run(*verbose, "commit", "-m", "x", env={"NIT_PRIVATE_KEY": private_key[:-1]}, code=6)
        run(*verbose, "commit", "-m", "x", env={"NIT_PRIVATE_KEY": "0x" + "0" * 64}, code=6)
        run(*verbose, "commit", "-m", "x", env={"NIT_PASSPHRASE": PASSPHRASE + "!"}, code=6)
        run(*verbose, "wallet", "import", "typo", env=with_pass, input=near_miss + "\n", code=6)
        run(*verbose, "wallet", "import", private_key, env=with_pass, input="\n", code=6)
        run(*verbose, "wallet", "import", bare, env=with_pass, input=private_key + "\n", code=6)
        run(*verbose, "wallet", "address", env={"NIT_PRIVATE_KEY": near_miss}, code=6)
    # Importing over an existing name is refused, and does not echo the key either.
    run("wallet", "import", "signer", env=with_pass, input=private_key + "\n", code=6)

    # A real process, as a CI job would run it with a broken secret.
    env = {**os.environ, "NIT_PRIVATE_KEY": near_miss, "NIT_PASSPHRASE": PASSPHRASE}
    for argv in (["-v", "commit", "-m", "x"], ["commit", "-m", "x"], ["-v", "wallet", "address"]):
        proc = subprocess.run(
            [sys.executable, "-m", "numbers_cli", *argv],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 6, proc.stderr
        printed.append((" ".join(argv), proc.stdout + proc.stderr))

    assert len(printed) > 40
    for what, text in printed:
        assert_no_secret(text, private_key, what)
        assert_no_secret(text, near_miss, what)

    # Keystores: in NIT_CONFIG_DIR (outside the repository), owner-only.
    config_dir = Path(os.environ["NIT_CONFIG_DIR"])
    keystores = sorted((config_dir / "wallets").glob("*.json"))
    assert [k.name for k in keystores] == ["bare.json", "default.json", "signer.json"]
    assert stat.S_IMODE((config_dir / "wallets").stat().st_mode) == 0o700
    for keystore in keystores:
        assert stat.S_IMODE(keystore.stat().st_mode) == 0o600, keystore
        assert_no_secret(keystore.read_text(), private_key, keystore.name)
    assert config_dir.is_relative_to(isolated_env)
    assert not config_dir.is_relative_to(workdir)

    # Nothing secret inside the repository (objects, index, refs, config, journal).
    key_bytes = bytes.fromhex(bare)
    for path in (workdir / ".numbers").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert key_bytes not in data, path
            assert_no_secret(data.decode("latin-1"), private_key, str(path))
    assert not list(workdir.rglob("*.json")) or all(
        "crypto" not in p.read_text() for p in workdir.rglob("*.json")
    )


def test_wallet_import_reads_the_key_from_stdin(nit, repo, media, private_key):
    result = nit("wallet", "import", env={"NIT_PASSPHRASE": "p"}, input=private_key + "\n")
    assert result.exit_code == 0, result.output
    assert "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23" in result.stdout
    assert nit("wallet", "address").stdout.strip() == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
    media(PHOTO)
    assert nit("add", PHOTO).exit_code == 0
    done = nit("commit", "-m", "x", env={"NIT_PASSPHRASE": "p"})
    assert done.exit_code == 0, done.output


def test_wallet_import_needs_a_passphrase_without_a_tty(nit, private_key):
    result = nit("wallet", "import", input=private_key + "\n")
    assert result.exit_code == 6
    assert "NIT_PASSPHRASE" in result.stderr
    assert not (Path(os.environ["NIT_CONFIG_DIR"]) / "wallets" / "default.json").exists()


def test_other_users_cannot_read_a_keystore_even_with_a_loose_umask(nit):
    old = os.umask(0o000)
    try:
        assert nit("wallet", "create", "w", env={"NIT_PASSPHRASE": "p"}).exit_code == 0
    finally:
        os.umask(old)
    keystore = Path(os.environ["NIT_CONFIG_DIR"]) / "wallets" / "w.json"
    assert stat.S_IMODE(keystore.stat().st_mode) == 0o600
    assert stat.S_IMODE(keystore.parent.stat().st_mode) == 0o700
