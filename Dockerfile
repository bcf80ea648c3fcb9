# The grader in a container: Debian 12 (bookworm) with Node 24.22.3 (the LTS version the kit
# pins in grader/gradescope/pins.ts), bubblewrap and util-linux for the sandbox, and the kit
# installed with npm ci. The entry point is `grader`:
#
#   docker build -t mp-grader .
#   docker run --rm \
#     --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#     --security-opt systempaths=unconfined \
#     -v "$PWD/submissions:/work/submissions:ro" -v "$PWD/reports:/work/reports" \
#     mp-grader grade submissions --out reports
#
# The three --security-opt flags let bubblewrap make its namespaces and mount a fresh /proc
# (README, "Grading at scale"); without them the grader falls back, or refuses to grade with
# the network open unless --allow-weak-sandbox. `docker run … mp-grader doctor` says which.
FROM node:24.22.3-bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap util-linux \
 && rm -rf /var/lib/apt/lists/*

# The kit lives in /kit, outside /usr: the sandbox shows student code all of /usr (read-only)
# and never /kit, where the hidden tests and solutions are.
WORKDIR /kit
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
RUN chmod -R go-rwx solutions exercises/*/tests/hidden exercises/*/mutants \
 && ln -s /kit/grader/bin.mjs /usr/local/bin/grader

# Submissions and reports are mounted here; relative paths on the command line are from here.
WORKDIR /work
ENTRYPOINT ["grader"]
CMD ["--help"]
