# AOS service image: Deno + git + bubblewrap. Build: docker build -t aos .
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl unzip git bubblewrap python3 \
 && rm -rf /var/lib/apt/lists/*
ARG DENO_VERSION=2.9.6
RUN curl -fsSL "https://github.com/denoland/deno/releases/download/v${DENO_VERSION}/deno-x86_64-unknown-linux-gnu.zip" -o /tmp/deno.zip \
 && unzip /tmp/deno.zip -d /usr/local/bin && rm /tmp/deno.zip
WORKDIR /app
COPY . .
RUN deno cache main.ts cli/main.ts
ENV AOS_KV=/data/aos.kv WORKSPACE_ROOT=/data/workspaces PORT=8000
VOLUME /data
EXPOSE 8000
CMD ["deno", "task", "start"]
