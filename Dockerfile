# Dockerfile -- latlab on Debian 12, in four stages; the last one, runtime, is the default:
#   build     compiler and -dev packages (scripts/deps.sh --build), runs make
#   programs  the shared libraries the two programs link, a non-root user and the programs
#   labs      programs + Debian's python3-requests and python3-aiohttp + labs/
#   runtime   programs as they run: non-root, port 8080, latlab-server by default
#
#   docker build -t latlab .                      # server and client (the runtime stage)
#   docker build --target labs -t latlab-labs .   # the Python labs too
#   docker compose up                             # server + client compare (docker-compose.yml)
#
# Every stage carries the label org.latlab.stage, so the build stage the classic builder
# leaves behind untagged (~500 MB) and images replaced by a rebuild go with
#   docker image prune -f --filter label=org.latlab.stage
# (the classic builder also builds labs on the way to runtime; BuildKit skips it).

FROM debian:bookworm-slim AS build
LABEL org.latlab.stage=build
WORKDIR /src
# deps.sh first, alone, so the package layer is cached across source changes
COPY scripts/deps.sh scripts/deps.sh
RUN sh scripts/deps.sh --build && rm -rf /var/lib/apt/lists/*
COPY Makefile ./
COPY common common
COPY server server
COPY client client
# the two programs only (make programs also builds bench/, which is not in the context)
RUN make --no-print-directory build/latlab-server build/latlab-client \
 && strip build/latlab-server build/latlab-client \
 && build/latlab-server --version && build/latlab-client --version

FROM debian:bookworm-slim AS programs
LABEL org.latlab.stage=programs
# only the libraries the programs link (tests/integration/test_compose.py checks the list)
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libmicrohttpd12 libgnutls30 libcurl4 libevent-2.1-7 libevent-pthreads-2.1-7 libinih1 libjansson4 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log \
 && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin latlab \
 && install -d -o latlab -g latlab /var/lib/latlab/results
COPY --from=build /src/build/latlab-server /src/build/latlab-client /usr/local/bin/
WORKDIR /opt/latlab

FROM programs AS labs
LABEL org.latlab.stage=labs
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3-requests python3-aiohttp \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log
COPY labs /opt/latlab/labs
USER latlab
ENV LATLAB_URL=http://server:8080
CMD ["python3", "labs/run_all.py"]

FROM programs AS runtime
LABEL org.latlab.stage=runtime
USER latlab
EXPOSE 8080
# inside a container the server must listen on every interface to be reachable
CMD ["latlab-server", "--listen", "0.0.0.0", "--port", "8080"]
