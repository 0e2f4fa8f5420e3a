# ipfs-kit in a container: `docker build -t ipfs-kit .`, then
#   docker run -d -v ipfs-kit:/data/ipfs-kit -e IPFS_KIT_API_TOKEN=... \
#     -p 8887:8887 -p 5001:5001 -p 8080:8080 -p 8888:8888 ipfs-kit [all|daemon-only|ipfs-only|mcp-only|cluster]
# The build stage compiles the same .deb that `cpack -G DEB` makes; the runtime
# stage installs it (apt resolves its library dependencies) on Debian 12.

# ---- build ----
FROM debian:12 AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN ./scripts/setup.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DIPFSKIT_TESTS=OFF \
 && cmake --build /build \
 && cd /build && cpack -G DEB && mv ipfs-kit_*.deb /ipfs-kit.deb

# ---- runtime ----
FROM debian:12
COPY --from=build /ipfs-kit.deb /tmp/ipfs-kit.deb
# A fixed uid/gid (1000) for the account, so volumes and Kubernetes'
# securityContext can name it; the package's postinst finds it and keeps it.
RUN groupadd --system --gid 1000 ipfs-kit \
 && useradd --system --uid 1000 --gid ipfs-kit --home-dir /data/ipfs-kit --no-create-home ipfs-kit \
 && apt-get update \
 && apt-get install -y --no-install-recommends /tmp/ipfs-kit.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/ipfs-kit.deb \
 && mkdir -p /data/ipfs-kit /container-init.d \
 && chown ipfs-kit:ipfs-kit /data/ipfs-kit
COPY docker/entrypoint.sh /usr/local/bin/container-entrypoint
ENV IPFS_KIT_PATH=/data/ipfs-kit
VOLUME /data/ipfs-kit
# management API, Kubo RPC, gateway, MCP
EXPOSE 8887 5001 8080 8888
USER ipfs-kit
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 CMD ["ipfs-kit", "diag", "healthy", "--timeout", "8"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/container-entrypoint"]
CMD ["all"]
