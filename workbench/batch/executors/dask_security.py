"""What keeps a Dask cluster closed: TLS for every connection, no HTTP server left listening.

Used by both Dask executors: :class:`~workbench.batch.executors.dask_cluster.DaskExecutor`
(a local cluster or a remote scheduler) and
:class:`~workbench.batch.executors.slurm.SlurmExecutor` (Dask workers as Slurm jobs).

>>> insecure_scheduler_message("tcp://10.0.0.5:8786").split(":")[0]
'the Dask scheduler at tcp'
"""

from __future__ import annotations

import os

from workbench.errors import ClusterSecurityError

#: Address schemes whose connections distributed encrypts and authenticates.
SECURE_SCHEMES = ("tls", "wss")
#: Dask config keys a remote scheduler's certificates are read from when not given.
TLS_CONFIG_KEYS = {"tls_ca_file": "distributed.comm.tls.ca-file",
                   "tls_client_cert": "distributed.comm.tls.client.cert",
                   "tls_client_key": "distributed.comm.tls.client.key"}


class InsecureClusterWarning(UserWarning):
    """A Dask scheduler is used without TLS because ``insecure=True`` was asked for."""


def _scheme(address: str) -> str:
    """The scheme of a Dask address; Dask's default (``tcp``) when it has none."""
    if "://" in address:
        return address.split("://", 1)[0].lower()
    import dask

    return str(dask.config.get("distributed.comm.default-scheme", "tcp")).lower()


def insecure_scheduler_message(scheduler: str) -> str:
    """What a user is told when a scheduler is used without TLS (``--insecure``).

    >>> insecure_scheduler_message("tcp://10.0.0.5:8786").split(":")[0]
    'the Dask scheduler at tcp'
    """
    return (f"the Dask scheduler at {scheduler} is used without TLS (--insecure): anyone who "
            "can reach it can run code as the users of its workers, and can read the "
            "study's tasks and results on the network")


def _tls_setting(name: str, given: str | os.PathLike | None) -> str | None:
    """``given``, else the value of the Dask config key for ``name`` (None when unset)."""
    if given is not None:
        return os.fspath(given)
    import dask

    value = dask.config.get(TLS_CONFIG_KEYS[name], None)
    return os.fspath(value) if value else None


def scheduler_security(scheduler: str, *, tls_ca_file: str | os.PathLike | None = None,
                       tls_cert: str | os.PathLike | None = None,
                       tls_key: str | os.PathLike | None = None, insecure: bool = False):
    """The ``distributed.Security`` for connecting to the remote scheduler at ``scheduler``,
    or :class:`~workbench.errors.ClusterSecurityError` when it would leave the cluster open.

    A ``tls://`` (or ``wss://``) address needs the CA certificate that signed the
    scheduler's certificate and this user's certificate and key. Each comes from its
    argument, else from the Dask config (``distributed.comm.tls.ca-file``,
    ``distributed.comm.tls.client.cert``, ``distributed.comm.tls.client.key``; the key may
    be inside the certificate file). A ``tcp://`` address, or one without a scheme, is
    refused unless ``insecure`` (then None is returned: no TLS). Nothing connects here.

    >>> try:
    ...     scheduler_security("tcp://10.0.0.5:8786")
    ... except ClusterSecurityError as exc:
    ...     print(str(exc).split(":")[0])
    refusing the Dask scheduler at tcp
    >>> scheduler_security("tcp://10.0.0.5:8786", insecure=True) is None
    True
    """
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ClusterSecurityError(f"the Dask scheduler address must be text such as "
                                   f"tls://host:8786, got {scheduler!r}")
    import distributed  # noqa: F401  (loads distributed's defaults into the Dask config)

    scheme = _scheme(scheduler)
    given = {"tls_ca_file": tls_ca_file, "tls_client_cert": tls_cert,
             "tls_client_key": tls_key}
    if scheme not in SECURE_SCHEMES:
        if any(v is not None for v in given.values()):
            raise ClusterSecurityError(
                f"TLS certificates were given but the Dask scheduler address {scheduler!r} "
                f"is {scheme}://, which does not use them; write it as tls://"
                f"{scheduler.split('://', 1)[-1]}")
        if insecure:
            return None
        raise ClusterSecurityError(
            f"refusing the Dask scheduler at {scheduler}: {scheme}:// connections are neither "
            "encrypted nor authenticated, so anyone who can reach the scheduler can run code "
            "as the users of its workers. Start the scheduler with TLS (dask scheduler "
            "--tls-ca-file ca.pem --tls-cert scheduler.pem --tls-key scheduler-key.pem) and "
            "connect with --scheduler tls://HOST:8786 --tls-ca-file ca.pem --tls-cert "
            "client.pem --tls-key client-key.pem (see docs/batch.md, Dask); --insecure "
            "connects without TLS, at that risk")
    settings = {name: _tls_setting(name, value) for name, value in given.items()}
    missing = [opt for opt, name in (("--tls-ca-file", "tls_ca_file"),
                                     ("--tls-cert", "tls_client_cert"))
               if not settings[name]]
    if missing:
        raise ClusterSecurityError(
            f"the Dask scheduler at {scheduler} uses TLS, but no {' or '.join(missing)} was "
            "given (nor distributed.comm.tls.ca-file / distributed.comm.tls.client.cert in "
            "the Dask config): the connection needs the CA certificate that signed the "
            "scheduler's certificate and this user's certificate and key, e.g. "
            "--tls-ca-file ca.pem --tls-cert client.pem --tls-key client-key.pem")
    for name, path in settings.items():
        if path is not None and not os.path.isfile(path):
            option = {"tls_ca_file": "--tls-ca-file", "tls_client_cert": "--tls-cert",
                      "tls_client_key": "--tls-key"}[name]
            raise ClusterSecurityError(f"{option} {path}: no such file (the "
                                       f"{TLS_CONFIG_KEYS[name]} setting)")
    from distributed.security import Security

    return Security(require_encryption=True,
                    **{k: v for k, v in settings.items() if v is not None})


def stop_http_server(dask_worker=None, dask_scheduler=None) -> None:
    """On a Dask worker or scheduler: stop listening for HTTP (metrics, info pages).

    Run through ``client.run(stop_http_server)`` or ``client.run_on_scheduler(...)``; Dask
    passes the worker or the scheduler by keyword.

    >>> client.run_on_scheduler(stop_http_server)  # doctest: +SKIP
    """
    server = dask_worker if dask_worker is not None else dask_scheduler
    server.http_server.stop()
    server.services.pop("dashboard", None)
