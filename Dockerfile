# Dockerfile -- latlab on Debian 12, in three stages:
#   build    compiler and -dev packages (scripts/deps.sh --build), runs make
#   runtime  only the shared libraries, a non-root user and the two programs (the default)
#   labs     runtime + Debian's python3-requests and python3-aiohttp + labs/
#
#   docker build -t latlab .                      # server and client
#   docker build --target labs -t latlab-labs .   # the Python labs too
#   docker compose up                             # server + client compare (docker-compose.yml)

FROM debian:bookworm-slim AS build
WORKDIR /src
# deps.sh first, alone, so the package layer is cached across source changes
COPY scripts/deps.sh scripts/deps.sh
RUN sh scripts/deps.sh --build && rm -rf /var/lib/apt/lists/*
COPY Makefile ./
COPY common common
COPY server server
COPY client client
RUN make --no-print-directory programs \
 && strip build/latlab-server build/latlab-client \
 && build/latlab-server --version && build/latlab-client --version

FROM debian:bookworm-slim AS runtime
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libmicrohttpd12 libcurl4 libevent-2.1-7 libevent-pthreads-2.1-7 libinih1 libjansson4 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin latlab
COPY --from=build /src/build/latlab-server /src/build/latlab-client /usr/local/bin/
COPY man/latlab-server.1 man/latlab-client.1 /usr/local/share/man/man1/
# sites.ini to start from: latlab-server --config examples/sites.ini
COPY examples /opt/latlab/examples
WORKDIR /opt/latlab
USER latlab
EXPOSE 8080
# inside a container the server must listen on every interface to be reachable
CMD ["latlab-server", "--listen", "0.0.0.0", "--port", "8080"]

FROM runtime AS labs
USER root
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3-requests python3-aiohttp \
 && rm -rf /var/lib/apt/lists/*
COPY labs /opt/latlab/labs
USER latlab
ENV LATLAB_URL=http://server:8080
CMD ["python3", "labs/run_all.py"]
