# SPDX-License-Identifier: MIT
# The headless iot-subscriber on Debian 12. Build: scripts/container.sh build (or `docker build -t iot-subscriber .`).
# Where no image registry is reachable, container.sh first makes the FROM image locally (mmdebstrap + import).
ARG DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build
# deps.sh --server names the headless build's packages (compiler, CMake, Qt Core/Network/Sql, libpq, ...) once.
COPY scripts/deps.sh /src/scripts/deps.sh
RUN bash /src/scripts/deps.sh --server && rm -rf /var/lib/apt/lists/*
COPY . /src
# Only the program: no GUI, no tests, no simulator.
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOT_BUILD_GUI=OFF -DIOT_BUILD_TESTS=OFF \
    && cmake --build /build --target iot-subscriber \
    && strip --strip-unneeded /build/app/iot-subscriber
# The runtime packages, read off the binary itself (ldd → owning package), so this list never drifts from the build;
# the Qt SQL drivers are plugins that ldd cannot see.
RUN set -e; for lib in $(ldd /build/app/iot-subscriber | awk '$3 ~ /^\// {print $3}'); do \
        dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "${lib#/usr}"; \
    done | cut -d: -f1 | sort -u >/build/runtime-packages \
    && echo libqt6sql6-psql libqt6sql6-sqlite >>/build/runtime-packages && cat /build/runtime-packages

FROM ${DEBIAN_IMAGE}
ARG IOT_VERSION=0.1.0
# The project names no public repository yet: set the real one at build time (--build-arg IOT_SOURCE_URL=...).
ARG IOT_SOURCE_URL=https://github.com/iot-subscriber/iot-subscriber
LABEL org.opencontainers.image.title="iot-subscriber" \
      org.opencontainers.image.description="MQTT to PostgreSQL/SQLite ingester (headless)" \
      org.opencontainers.image.version="${IOT_VERSION}" \
      org.opencontainers.image.source="${IOT_SOURCE_URL}" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /build/runtime-packages /tmp/runtime-packages
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(cat /tmp/runtime-packages) \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
    && echo 'iot-subscriber:x:10001:10001:iot-subscriber:/var/lib/iot-subscriber:/usr/sbin/nologin' >>/etc/passwd \
    && echo 'iot-subscriber:x:10001:' >>/etc/group \
    && install -d -o iot-subscriber -g iot-subscriber -m 0750 /var/lib/iot-subscriber
COPY --from=build /build/app/iot-subscriber /usr/bin/iot-subscriber
COPY containers/subscriber/config.toml containers/subscriber/logger.toml /etc/iot-subscriber/
COPY containers/subscriber/healthcheck /usr/local/bin/iot-healthcheck
# The spool and a SQLite file live here (relative paths in the config resolve against the working directory).
VOLUME /var/lib/iot-subscriber
WORKDIR /var/lib/iot-subscriber
USER iot-subscriber
EXPOSE 8001
# Secrets come from the environment (IOT_DATABASE_PASSWORD, IOT_MQTT_PASSWORD, IOT_OBSERVABILITY_TOKEN), never the image.
# IOT_HEALTH_PORT: the config's prometheus_port, for the health probe.
ENV IOT_HEALTH_PORT=8001
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/iot-healthcheck"]
# Exec form: SIGTERM from `docker stop` reaches the program, which commits what is buffered and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/iot-subscriber", "--no-gui", "--log-config", "/etc/iot-subscriber/logger.toml"]
CMD ["--config", "/etc/iot-subscriber/config.toml"]
