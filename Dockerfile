# `faucet serve` in a container: a runtime-only image around a faucet
# binary built on the host, so building the image needs neither the
# network nor a Rust toolchain in the image.
#
#   cargo build --release --locked -p faucet-cli      # target/release/faucet
#   docker build -t faucet .                           # or: podman build -t faucet .
#   docker run -p 8484:8484 -e FAUCET_SERVE_TOKEN="$(openssl rand -hex 24)" \
#              -v faucet-state:/var/lib/faucet faucet
#
# Build the binary on Debian 12 (bookworm) or an older glibc: it links
# glibc dynamically and nothing else (TLS is rustls, no OpenSSL).
# Another binary: --build-arg FAUCET_BIN=path/inside/the/context (and let
# it through .dockerignore).
FROM debian:bookworm-slim

ARG FAUCET_BIN=target/release/faucet

# A user of its own, no login, no home beyond the state directory.
RUN groupadd --gid 10001 faucet \
 && useradd --uid 10001 --gid faucet --no-create-home --home-dir /var/lib/faucet --shell /usr/sbin/nologin faucet \
 && mkdir -p /var/lib/faucet /etc/faucet/pipelines \
 && chown faucet:faucet /var/lib/faucet

COPY --chmod=0755 ${FAUCET_BIN} /usr/local/bin/faucet

USER faucet:faucet
# Run records (`serve/runs.jsonl`) and relative state directories of
# pipelines live here: mount a volume to keep them across containers.
WORKDIR /var/lib/faucet
VOLUME ["/var/lib/faucet"]
EXPOSE 8484

# /health needs no token. bash's /dev/tcp: the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8484 && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '\"ok\"' <&3"]

# Beyond loopback a token is required: FAUCET_SERVE_TOKEN, or
# --token-file /run/secrets/… appended to the command. Pipeline files
# mounted at /etc/faucet/pipelines run by name (POST /runs?pipeline=NAME).
ENTRYPOINT ["/usr/local/bin/faucet"]
CMD ["serve", "--listen", "0.0.0.0:8484", "--state-dir", "/var/lib/faucet/serve", "--pipelines-dir", "/etc/faucet/pipelines"]
