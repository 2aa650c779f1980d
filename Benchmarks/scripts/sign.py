#!/usr/bin/env python3
"""Pre-signs COUNT deliveries of BODY with KEY (fresh request IDs, timestamp now), one per line:
request-id timestamp signature. wrk cannot compute HMAC-SHA256, so the signing happens here, before the run."""
import hashlib, hmac, sys, time, uuid

key, body_path, count, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
secret = (key[6:] if key.startswith("whsec_") else key).encode()
body = open(body_path, "rb").read()
stamp = str(int(time.time()))
prefix = uuid.uuid4().hex[:8]
with open(out_path, "w") as out:
    for i in range(count):
        request_id = f"{prefix}-{i:08d}"
        mac = hmac.new(secret, f"{request_id}.{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        out.write(f"{request_id} {stamp} sha256={mac}\n")
