"""The deployment example (docs/deployment.md, deploy/) run for real.

The example is installed as the guide says: a copy of the checkout with deploy/config.toml as
its .streamlit/config.toml and a secrets.toml with an [auth] section (0600), a store with its
key in a private folder. The app is started with the ExecStartPre and ExecStart lines of
deploy/serviceniveau.service, and deploy/nginx.conf runs in a real nginx with a self-signed
certificate in front of it; the nightly job runs the ExecStart lines of
deploy/serviceniveau-import.service. Only the paths, ports and host name are replaced, and
every replacement must find its text, so a test fails when a deployed file changes under it.
Chromium reaches the app by a host name (``serviceniveau.test``, mapped to 127.0.0.1) and logs
in with a real OIDC provider (oidc-provider-mock), through the proxy: the page is drawn over
the websocket, so it renders only when the upgrade and the Host header pass nginx.
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import os
import re
import secrets
import shlex
import shutil
import ssl
import stat
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import test_browser_login as login_tests
from tests.conftest import CANONICAL_HEADER, ROOT, registration, write_csv
from tests.test_browser import CHROMIUM, _free_port, expect, playwright, wait_for_script

DEPLOY = ROOT / "deploy"
CONFIG = DEPLOY / "config.toml"
NGINX_CONF = DEPLOY / "nginx.conf"
SERVICE = DEPLOY / "serviceniveau.service"
IMPORT_SERVICE = DEPLOY / "serviceniveau-import.service"
IMPORT_TIMER = DEPLOY / "serviceniveau-import.timer"
_SBIN_NGINX = Path("/usr/sbin/nginx")
NGINX = shutil.which("nginx") or (str(_SBIN_NGINX) if os.access(_SBIN_NGINX, os.X_OK) else None)
needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx)"
)

# The example's names and paths, and what the test puts in their place.
HOST = "serviceniveau.kommune.dk"
TEST_HOST = "serviceniveau.test"
CHECKOUT = "/srv/serviceniveau/app"
PYTHON = f"{CHECKOUT}/.venv/bin/python"
STATE = "/var/lib/serviceniveau"
BACKUPS = "/srv/backup"
EXTRACT = "/srv/udtraek/nat.csv"
MB = 1024 * 1024

# The provider mock and the analyst who logs in through the proxy.
provider = login_tests.provider
ANA = login_tests.ANA


# --- reading the deployed files ---------------------------------------------------------------


def replaced(text: str, replacements: dict[str, str]) -> str:
    """Apply replacements in order; each must find its text (or the deployed file changed)."""
    for old, new in replacements.items():
        assert old in text, f"{old!r} is no longer in the deployed file"
        text = text.replace(old, new)
    return text


def unit_lines(path: Path) -> dict[str, dict[str, list[str]]]:
    """Return a systemd unit's sections: key -> every value given (ExecStart may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    section: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        section.setdefault(key.strip(), []).append(value.strip())
    return sections


def unit_command(line: str, replacements: dict[str, str]) -> list[str]:
    """Return an Exec line as argv: paths replaced, systemd's ``%%`` unescaped, no other specifier."""
    args = shlex.split(line)
    args = [_unescape(replaced_some(a, replacements)) for a in args]
    return args


def replaced_some(text: str, replacements: dict[str, str]) -> str:
    """Apply the replacements that occur in one argument."""
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def _unescape(arg: str) -> str:
    assert not re.search(r"%[^%]", arg.replace("%%", "")), f"a systemd specifier in {arg!r}"
    return arg.replace("%%", "%")


def unit_env(unit: dict[str, dict[str, list[str]]], replacements: dict[str, str]) -> dict[str, str]:
    """Return the process environment a unit's Environment= lines give, paths replaced."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLCORE_")}
    for assignment in unit["Service"].get("Environment", []):
        for item in shlex.split(assignment):
            key, _, value = item.partition("=")
            env[key] = replaced_some(value, replacements)
    return env


def flat(table: dict, prefix: str = "") -> dict[str, object]:
    """Return a TOML table's options as ``section.option`` -> value."""
    out: dict[str, object] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def nginx_upload_limit_mb() -> int:
    match = re.search(r"^\s*client_max_body_size\s+(\d+)m;", NGINX_CONF.read_text(), re.M)
    assert match, "deploy/nginx.conf sets no client_max_body_size in megabytes"
    return int(match[1])


# --- the files on their own ---------------------------------------------------------------------

# The values Streamlit 1.67 accepts for the options set here that take one of a few words.
CHOICES = {
    "server.fileWatcherType": {"auto", "watchdog", "poll", "none"},
    "logger.level": {"error", "warning", "info", "debug"},
    "client.toolbarMode": {"auto", "developer", "viewer", "minimal"},
    "server.xsrfCookieSameSite": {"lax", "strict", "none"},
    "theme.base": {"light", "dark"},
}


def test_every_key_of_the_production_config_is_a_streamlit_option_with_a_valid_value():
    from streamlit import config

    options = config.get_config_options()
    deployed = flat(tomllib.loads(CONFIG.read_text()))
    choices = {
        **CHOICES,
        "client.showErrorDetails": {o.value for o in config.ShowErrorDetailsConfigOptions},
    }
    for key, value in deployed.items():
        assert key in options, f"{key} is not a Streamlit option"
        option = options[key]
        assert not option.deprecated, f"{key} is deprecated"
        if option.multiple:
            assert isinstance(value, list), key
        elif option.type is not None:
            assert type(value) is option.type or (option.type is float and type(value) is int), (
                f"{key} = {value!r} is not a {option.type.__name__}"
            )
        if key in choices:
            assert value in choices[key], f"{key} = {value!r}, not one of {sorted(choices[key])}"


def test_the_production_config_is_safe_and_matches_nginx():
    server = tomllib.loads(CONFIG.read_text())["server"]
    deployed = flat(tomllib.loads(CONFIG.read_text()))
    assert ipaddress.ip_address(server["address"]).is_loopback
    assert server["enableXsrfProtection"] is True
    assert server["enableCORS"] is True
    assert server["headless"] is True
    assert server["fileWatcherType"] == "none"
    assert server.get("enableAgentApi") is False
    assert deployed["client.showErrorDetails"] == "none"  # no traceback reaches a browser
    assert deployed["logger.level"] in {"info", "warning", "error"}
    # nginx proxies to the address and port the app listens on.
    upstream = re.search(r"proxy_pass http://([\d.]+):(\d+);", NGINX_CONF.read_text())
    assert upstream, "deploy/nginx.conf has no proxy_pass to an address and port"
    assert (upstream[1], int(upstream[2])) == (server["address"], server["port"])
    # nginx lets through the largest upload Streamlit takes: the file plus its 1 MB of
    # multipart framing (streamlit/web/server/starlette/starlette_routes.py).
    assert nginx_upload_limit_mb() == server["maxUploadSize"] + 1


def test_the_production_config_keeps_the_development_settings_it_shares():
    """The theme and every shared setting equal the development file's (they must not drift)."""
    deployed = flat(tomllib.loads(CONFIG.read_text()))
    development = flat(tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text()))
    for key, value in development.items():
        if key == "server.address":  # localhost there, the proxy's 127.0.0.1 here
            assert value in {"localhost", "127.0.0.1"}
            continue
        assert deployed.get(key) == value, (
            f"{key}: development {value!r}, production {deployed.get(key)!r}"
        )


def test_the_units_use_environment_variables_that_slcore_reads():
    code = "\n".join(p.read_text() for p in (ROOT / "slcore").glob("*.py"))
    for path in (SERVICE, IMPORT_SERVICE):
        for assignment in unit_lines(path)["Service"].get("Environment", []):
            name = assignment.partition("=")[0]
            if name.startswith("SLCORE_"):
                assert f'"{name}"' in code, f"{path.name}: slcore does not read {name}"


def _systemd_replacements(tmp: Path) -> dict[str, str]:
    return {PYTHON: sys.executable, CHECKOUT: str(ROOT), STATE: str(tmp / "state")}


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
def test_systemd_accepts_the_units(tmp_path):
    units = tmp_path / "units"
    units.mkdir()
    for path in (SERVICE, IMPORT_SERVICE, IMPORT_TIMER):
        text = path.read_text()
        if path.suffix == ".service":
            text = replaced(text, _systemd_replacements(tmp_path))
            text = replaced_some(text, {BACKUPS: str(tmp_path)})
        (units / path.name).write_text(text)
    run = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            *(str(units / p.name) for p in (SERVICE, IMPORT_SERVICE, IMPORT_TIMER)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    for complaint in (
        "Unknown key",
        "Unknown section",
        "Invalid",
        "Failed to parse",
        "is not executable",
    ):
        assert complaint not in out, out
    calendar = unit_lines(IMPORT_TIMER)["Timer"]["OnCalendar"][0]
    run = subprocess.run(
        ["systemd-analyze", "calendar", calendar], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stdout + run.stderr


# --- an installed checkout ------------------------------------------------------------------------


def install_checkout(target: Path, app_port: int, secrets_text: str | None) -> Path:
    """Install the app as the guide does: the code, deploy/config.toml, secrets.toml (0600)."""
    shutil.copytree(
        ROOT,
        target,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "data",
            "tests",
            "bench",
            "__pycache__",
            ".*_cache",
            ".hypothesis",
            "test-results",
            "tmp",
            "secrets.toml",
        ),
    )
    config = replaced(CONFIG.read_text(), {"port = 8501": f"port = {app_port}"})
    (target / ".streamlit" / "config.toml").write_text(config)
    if secrets_text is not None:
        secret = target / ".streamlit" / "secrets.toml"
        secret.write_text(secrets_text)
        secret.chmod(0o600)
    return target


def auth_secrets(redirect_uri: str, provider_url: str) -> str:
    return (
        "[auth]\n"
        f'redirect_uri = "{redirect_uri}"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "serviceniveau-test"\n'
        'client_secret = "hemmelig"\n'
        f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n'
    )


def private_store(sample_db: Path, state: Path) -> Path:
    """Copy the sample store and its key into a private folder, as the service keeps them."""
    state.mkdir(mode=0o700)
    db = state / "slcore.duckdb"
    shutil.copy(sample_db, db)
    shutil.copy(sample_db.with_name(sample_db.name + ".key"), db.with_name(db.name + ".key"))
    for p in state.iterdir():
        p.chmod(0o600)
    return db


def run_preflight(
    app: Path, env: dict[str, str], replacements: dict[str, str]
) -> subprocess.CompletedProcess:
    (line,) = unit_lines(SERVICE)["Service"]["ExecStartPre"]
    return subprocess.run(
        unit_command(line, replacements),
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def preflight_setup(sample_db: Path, tmp_path: Path):
    """An installed checkout with its store; returns a function running ExecStartPre."""
    app = install_checkout(
        tmp_path / "app",
        8501,
        auth_secrets(f"https://{HOST}/oauth2callback", "https://idp.example"),
    )
    db = private_store(sample_db, tmp_path / "state")
    repl = {PYTHON: sys.executable, CHECKOUT: str(app), STATE: str(db.parent)}
    env = unit_env(unit_lines(SERVICE), repl)

    def run() -> subprocess.CompletedProcess:
        return run_preflight(app, env, repl)

    return app, db, run


def test_the_preflight_passes_a_correct_setup(preflight_setup):
    _, db, run = preflight_setup
    result = run()
    assert result.returncode == 0, result.stderr
    assert str(db) in result.stdout


def _no_auth(app: Path, db: Path) -> None:
    (app / ".streamlit" / "secrets.toml").write_text('[connections]\nx = "y"\n')


def _example(app: Path, db: Path) -> None:
    shutil.copy(app / ".streamlit" / "secrets.toml.example", app / ".streamlit" / "secrets.toml")


def _http_redirect(app: Path, db: Path) -> None:
    path = app / ".streamlit" / "secrets.toml"
    path.write_text(path.read_text().replace(f"https://{HOST}/oauth2callback", f"http://{HOST}/"))


def _readable_secrets(app: Path, db: Path) -> None:
    (app / ".streamlit" / "secrets.toml").chmod(0o644)


def _readable_key(app: Path, db: Path) -> None:
    db.with_name(db.name + ".key").chmod(0o644)


def _open_folder(app: Path, db: Path) -> None:
    db.parent.chmod(0o755)


def _no_store(app: Path, db: Path) -> None:
    db.unlink()


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        (_no_auth, "intet afsnit [auth]"),
        (_example, "pladsholder"),
        (_http_redirect, "redirect_uri skal være https://"),
        (_readable_secrets, "sæt den til 0600"),
        (_readable_key, "Nøglefilen"),
        (_open_folder, "sæt den til 0700"),
        (_no_store, "findes ikke"),
    ],
)
def test_the_preflight_refuses_a_setup_that_would_leak(preflight_setup, spoil, said):
    app, db, run = preflight_setup
    spoil(app, db)
    result = run()
    assert result.returncode == 1, result.stdout + result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr


# --- the example running: the app behind nginx ------------------------------------------------------


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for the test host and 127.0.0.1; return (cert, key)."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "2",
                "-subj",
                f"/CN={TEST_HOST}",
                "-addext",
                f"subjectAltName=DNS:{TEST_HOST},IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return cert, key
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TEST_HOST)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(TEST_HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    return cert, key


def nginx_main_conf(
    prefix: Path, https_port: int, http_port: int, app_port: int, cert: Path, key: Path
) -> Path:
    """Wrap deploy/nginx.conf (ports, certificate, logs replaced) in a main config of its own."""
    site = replaced(
        NGINX_CONF.read_text(),
        {
            "    listen [::]:80;\n": "",
            "    listen [::]:443 ssl;\n": "",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
            f"/etc/ssl/certs/{HOST}.pem": str(cert),
            f"/etc/ssl/private/{HOST}.key": str(key),
            "/var/log/nginx/serviceniveau.access.log": str(prefix / "access.log"),
            "/var/log/nginx/serviceniveau.error.log": str(prefix / "error.log"),
            "http://127.0.0.1:8501;": f"http://127.0.0.1:{app_port};",
            f"server_name {HOST};": f"server_name {TEST_HOST};",
        },
    )
    temp = {name: prefix / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for folder in temp.values():
        folder.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers would otherwise be nobody
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"daemon off;\nworker_processes 1;\n{user}pid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} info;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    access_log {prefix / 'access.log'};\n"
        + "".join(f"    {name}_temp_path {path};\n" for name, path in temp.items())
        + site
        + "\n}\n"
    )
    return conf


def wait_for(
    url: str, proc: subprocess.Popen, log: Path, context: ssl.SSLContext | None = None
) -> None:
    """Poll ``url`` until it answers 200 "ok"; fail with the log if the process ends first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=5, context=context) as r:
                if r.status == 200 and r.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer ok:\n{log.read_text()}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=60)


@dataclass
class Deployment:
    url: str  # what the browser opens: https://serviceniveau.test:PORT
    https_port: int
    http_port: int
    app_port: int
    app: Path
    db: Path
    tmp: Path
    tls: ssl.SSLContext
    replacements: dict[str, str]

    def https(self, path: str) -> str:
        return f"https://127.0.0.1:{self.https_port}{path}"


@pytest.fixture(scope="module")
def deployment(
    sample_db: Path, provider: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    from slcore import people
    from slcore.store import open_store

    tmp = tmp_path_factory.mktemp("deploy")
    https_port, http_port, app_port = _free_port(), _free_port(), _free_port()
    url = f"https://{TEST_HOST}:{https_port}"
    app = install_checkout(tmp / "app", app_port, auth_secrets(f"{url}/oauth2callback", provider))
    db = private_store(sample_db, tmp / "state")
    store = open_store(db)
    people.save(store, ANA["email"].lower(), ["analytiker"], name="Ana fra personlisten")
    store.close()
    repl = {PYTHON: sys.executable, CHECKOUT: str(app), STATE: str(db.parent), HOST: TEST_HOST}
    unit = unit_lines(SERVICE)
    env = unit_env(unit, repl)

    pre = run_preflight(app, env, repl)
    assert pre.returncode == 0, pre.stderr
    (start,) = unit["Service"]["ExecStart"]
    app_log = tmp / "streamlit.log"
    with app_log.open("w") as fh:
        # umask as the unit's UMask=0077: every file the app makes is its user's only.
        app_proc = subprocess.Popen(
            unit_command(start, repl),
            cwd=app,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            umask=0o077,
        )
    nginx_proc = None
    try:
        wait_for(f"http://127.0.0.1:{app_port}/_stcore/health", app_proc, app_log)
        prefix = tmp / "nginx"
        prefix.mkdir()
        cert, key = self_signed(tmp)
        conf = nginx_main_conf(prefix, https_port, http_port, app_port, cert, key)
        command = [str(NGINX), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stderr
        nginx_log = prefix / "nginx.out"
        with nginx_log.open("w") as fh:
            nginx_proc = subprocess.Popen(command, stdout=fh, stderr=subprocess.STDOUT)
        tls = ssl.create_default_context(cafile=str(cert))
        wait_for(
            f"https://127.0.0.1:{https_port}/_stcore/health", nginx_proc, prefix / "error.log", tls
        )
        yield Deployment(url, https_port, http_port, app_port, app, db, tmp, tls, repl)
    finally:
        if nginx_proc is not None:
            stop(nginx_proc)
        stop(app_proc)


def request(
    deployment: Deployment,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    port: int | None = None,
):
    """Send one request (no body) to nginx; return (status, headers, body)."""
    if port is None:
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", deployment.https_port, context=deployment.tls, timeout=60
        )
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in {
            "Host": f"{TEST_HOST}:{deployment.https_port}",
            **(headers or {}),
        }.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


@needs_nginx
def test_the_health_check_answers_ok_through_the_proxy_with_security_headers(deployment):
    status, headers, body = request(deployment, "GET", "/_stcore/health")
    assert (status, body.strip()) == (200, "ok")
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert headers["Server"] == "nginx"  # no version


@needs_nginx
def test_plain_http_is_redirected_to_https(deployment):
    status, headers, _ = request(
        deployment, "GET", "/oekonomi?periode=x", {"Host": TEST_HOST}, port=deployment.http_port
    )
    assert status == 301
    assert headers["Location"] == f"https://{TEST_HOST}/oekonomi?periode=x"


@needs_nginx
def test_an_upload_above_the_limit_is_refused_by_nginx(deployment):
    limit = nginx_upload_limit_mb() * MB
    # nginx answers from the Content-Length alone, before any of the body is sent.
    status, _, body = request(
        deployment, "PUT", "/_stcore/upload_file/x/y", {"Content-Length": str(limit + 1)}
    )
    assert status == 413
    assert "nginx" in body  # nginx's own page, not the app's answer


@needs_nginx
def test_an_upload_of_the_largest_size_passes_nginx_to_the_app(deployment):
    """A file of server.maxUploadSize with its framing gets past nginx to Streamlit, whose XSRF
    check (on, behind the proxy too) refuses this request without a token: so nginx never cuts
    off an upload the app would take."""
    size = tomllib.loads(CONFIG.read_text())["server"]["maxUploadSize"] * MB + 4096
    status, _, body = request(
        deployment, "PUT", "/_stcore/upload_file/x/y", {"Content-Length": str(size)}
    )
    assert (status, "XSRF" in body) == (403, True), (status, body)


@needs_nginx
def test_streamlit_metrics_are_not_served_through_the_proxy(deployment):
    status, _, _ = request(deployment, "GET", "/_stcore/metrics")
    assert status == 404
    with urllib.request.urlopen(
        f"http://127.0.0.1:{deployment.app_port}/_stcore/metrics", timeout=30
    ) as r:
        assert r.status == 200  # on the machine itself


@needs_nginx
def test_the_app_listens_on_loopback_only(deployment):
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.split(":")
            if state == "0A" and int(port, 16) == deployment.app_port:  # LISTEN
                listening.append(address)
    if not listening:
        pytest.skip("no /proc/net/tcp to read the listening sockets from")
    assert listening == ["0100007F"], listening  # 127.0.0.1 only


@pytest.fixture(scope="module")
def proxied_browser() -> Iterator:
    """Chromium that finds the test host name on 127.0.0.1 (nginx listens there)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install chromium (see README)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=[f"--host-resolver-rules=MAP {TEST_HOST} 127.0.0.1"]
        )
        yield b
        b.close()


@needs_nginx
@pytest.mark.browser
def test_a_person_logs_in_through_the_proxy_and_sees_the_dashboard(
    deployment, provider, proxied_browser, tmp_path
):
    expected = login_tests._expected(deployment.db)  # waits its turn with the server
    context = proxied_browser.new_context(
        viewport={"width": 1500, "height": 2000}, ignore_https_errors=True
    )
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        # The login page is drawn over the websocket: it shows only if the upgrade passes.
        page.goto(deployment.url)
        expect(
            page.locator("h1", has_text=f"Serviceniveau · {expected.municipality}")
        ).to_be_visible()
        page.get_by_role("button", name="Log ind").click()
        page.wait_for_url(f"{provider}/oauth2/authorize**")
        page.get_by_role("button", name=ANA["sub"], exact=True).click()
        # Back through nginx at the redirect URI, then the overview with every team's figures.
        page.wait_for_url(f"{deployment.url}/**")
        expect(page.locator("h1", has_text="Overblik")).to_be_visible()
        expect(login_tests.tile_value(page, "Aktive bevillinger")).to_have_text(expected.all_active)
        expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(ANA["name"])
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)

        # An upload goes through nginx (and Streamlit's XSRF check over HTTPS).
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Indlæs data", exact=True).click()
        expect(page.locator("h1", has_text="Indlæs data")).to_be_visible()
        wait_for_script(page)
        rows = [
            registration(f"PROXY-{i}", start_date="2026-01-10", team="Team Syd") for i in (1, 2)
        ]
        extract = write_csv(tmp_path / "udtraek_proxy.csv", CANONICAL_HEADER, rows)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            str(extract)
        )
        expect(page.get_by_text("Alle rækker kan indlæses.")).to_be_visible()
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    finally:
        context.close()


@needs_nginx
def test_the_nightly_job_imports_and_backs_up_while_the_dashboard_serves(deployment):
    from slcore.backup import inspect

    tmp = deployment.tmp
    backups = tmp / "backup"
    backups.mkdir(mode=0o700)
    old = backups / "serviceniveau-2000-01-01.duckdb"  # older than 30 days: removed
    old.write_bytes(b"")
    month_ago = time.time() - 40 * 86400
    os.utime(old, (month_ago, month_ago))
    rows = [registration(f"NAT-{i}", start_date="2026-02-01", team="Team Nord") for i in (1, 2, 3)]
    extract = write_csv(tmp / "nat.csv", CANONICAL_HEADER, rows)
    repl = {**deployment.replacements, EXTRACT: str(extract), BACKUPS: str(backups)}
    unit = unit_lines(IMPORT_SERVICE)
    assert unit["Service"]["Type"] == ["oneshot"]
    env = unit_env(unit, repl)
    outputs = []
    for line in unit["Service"]["ExecStart"]:  # in order; systemd stops at the first failure
        run = subprocess.run(
            unit_command(line, repl),
            cwd=deployment.app,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            umask=0o077,
        )
        assert run.returncode == 0, f"{line}\n{run.stdout}\n{run.stderr}"
        outputs.append(run.stdout)
    assert "indsat 3" in outputs[0], outputs[0]
    today = backups / f"serviceniveau-{time.strftime('%Y-%m-%d')}.duckdb"  # local, as date(1)
    assert today.is_file()
    assert stat.S_IMODE(today.stat().st_mode) == 0o600
    assert inspect(today).imports >= 2
    assert not old.exists()
    # The dashboard kept serving through the proxy.
    status, _, body = request(deployment, "GET", "/_stcore/health")
    assert (status, body.strip()) == (200, "ok")


@needs_nginx
@pytest.mark.browser
def test_local_mode_behind_the_proxy_shows_no_data(sample_copy, proxied_browser, tmp_path):
    # Without [auth] the app serves only this machine. Behind nginx every request comes from
    # 127.0.0.1 too, so the proxy's headers must tell it apart: no data, how to set up login.
    from tests.test_browser import start_app

    app_proc, app_url = start_app(sample_copy, tmp_path / "local.log")
    nginx_proc = None
    try:
        prefix = tmp_path / "nginx"
        prefix.mkdir()
        cert, key = self_signed(tmp_path)
        https_port, http_port = _free_port(), _free_port()
        app_port = int(app_url.rsplit(":", 1)[1])
        conf = nginx_main_conf(prefix, https_port, http_port, app_port, cert, key)
        command = [str(NGINX), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        nginx_proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        tls = ssl.create_default_context(cafile=str(cert))
        wait_for(
            f"https://127.0.0.1:{https_port}/_stcore/health", nginx_proc, prefix / "error.log", tls
        )
        context = proxied_browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        try:
            page.goto(f"https://{TEST_HOST}:{https_port}")
            expect(page.locator("h1", has_text="Login mangler")).to_be_visible(timeout=90_000)
            expect(page.get_by_text("gennem en proxy")).to_be_visible()
            expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
        finally:
            context.close()
        # The same app straight on this machine is local mode, with its data.
        context = proxied_browser.new_context()
        page = context.new_page()
        try:
            page.goto(app_url)
            expect(page.locator("h1", has_text="Overblik")).to_be_visible(timeout=90_000)
        finally:
            context.close()
    finally:
        if nginx_proc is not None:
            stop(nginx_proc)
        stop(app_proc)
