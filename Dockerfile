# Build stage: compile the ipscopy binary.
FROM rust:1.95-bookworm AS build
# libjpeg-turbo (the turbojpeg crate) builds with cmake and nasm.
RUN apt-get update && apt-get install -y --no-install-recommends cmake nasm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The whole tree, .sqlx/ and .cargo/config.toml included: the query macros check against .sqlx/
# (SQLX_OFFLINE), so the build needs no database.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin ipscopy && cp target/release/ipscopy /usr/local/bin/ipscopy

# Runtime stage: a small image with the binary, run as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/ipscopy --create-home ipscopy
COPY --from=build /usr/local/bin/ipscopy /usr/local/bin/ipscopy
USER ipscopy
WORKDIR /var/lib/ipscopy
ENV IPSCOPY_HTTP_ADDR=0.0.0.0:8080 IPSCOPY_DATA_DIR=/var/lib/ipscopy/data
# 9091 is the operators' listener; it stays on the container's loopback unless the deployment
# sets IPSCOPY_OPS_ADDR=0.0.0.0:9091 (docker-compose.yml and deploy/kubernetes do, for scrapes).
EXPOSE 8080 9091
ENTRYPOINT ["ipscopy"]
CMD ["run"]
