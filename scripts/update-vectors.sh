#!/bin/sh
# Rewrites the ```vector blocks of docs/PROTOCOL.md from the code, after a
# deliberate change of a format. Review the diff: every changed vector is a
# change of the protocol.
set -eu
make -s build/tests/test_vectors
ENL_PRINT_VECTORS=1 ./build/tests/test_vectors > build/vectors.txt
python3 - <<'PY'
import re
new = {m.group(1): m.group(0) for m in re.finditer(r"```vector (\S+)\n.*?```", open("build/vectors.txt").read(), re.S)}
doc = open("docs/PROTOCOL.md").read()
doc = re.sub(r"```vector (\S+)\n.*?```", lambda m: new.get(m.group(1), m.group(0)), doc, flags=re.S)
open("docs/PROTOCOL.md", "w").write(doc)
PY
