# AOS service image: Deno + git + bubblewrap + pasta. Build: docker build -t aos .
# Run (README "Security", "Deploying"): the sandbox makes user namespaces and
# pasta needs a tun device, which Docker's defaults refuse:
#   docker run -p 8000:8000 -v aos-data:/data --device /dev/net/tun \
#     --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#     -e AOS_API_TOKEN=… -e OPENAI_API_KEY=… aos
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl unzip git bubblewrap passt python3 \
 && rm -rf /var/lib/apt/lists/*
ARG DENO_VERSION=2.9.6
RUN curl -fsSL "https://github.com/denoland/deno/releases/download/v${DENO_VERSION}/deno-x86_64-unknown-linux-gnu.zip" -o /tmp/deno.zip \
 && unzip /tmp/deno.zip -d /usr/local/bin && rm /tmp/deno.zip
# The service runs as an unprivileged user that owns /data (the KV and the
# workspaces) and nothing else; sandboxed commands run as uid 1000 in a user
# namespace mapped onto it, with no capabilities, and never see /data, /app or
# its home (they are outside the sandbox's allow-list).
RUN groupadd --system --gid 10001 aos \
 && useradd --system --uid 10001 --gid aos --create-home --home-dir /home/aos --shell /usr/sbin/nologin aos \
 && mkdir -p /data \
 && chown aos:aos /data
WORKDIR /app
# The source stays root's: the service (and anything that subverts it) cannot rewrite it.
COPY . .
USER aos
ENV DENO_DIR=/home/aos/.cache/deno
RUN deno cache main.ts cli/main.ts
ENV AOS_KV=/data/aos.kv WORKSPACE_ROOT=/data/workspaces PORT=8000
VOLUME /data
EXPOSE 8000
CMD ["deno", "task", "start"]
