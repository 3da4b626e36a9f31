"""The server side of a research portal, for the S3 tests: it holds the store's credentials and
presigns URLs with the AWS SDK (boto3), as a real host does; the page only ever gets URLs.

    python3 s3_host.py ENDPOINT BUCKET PAGE_ORIGIN

creates BUCKET on the S3 endpoint (moto_server in the tests) with a CORS rule that lets
PAGE_ORIGIN PUT and read the ETag header, listens on a free loopback port and prints
"s3 host: http://127.0.0.1:PORT/". Routes (CORS allowed for PAGE_ORIGIN):

    POST /presign  {key, request}  the answer to the API's presign request (www/dicom-deid.d.ts,
                                   S3PresignRequest): put, create, part, complete, abort
    GET  /object?key=K             the object's bytes (404 when absent), its ETag as a header
    GET  /uploads                  the multipart uploads in progress, as JSON [{key, uploadId}]
    GET  /ops                      the presign requests received, as JSON [{op, key}]
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

EXPIRES = 900


def client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key-id",
        aws_secret_access_key="test-secret",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


class Host:
    def __init__(self, endpoint, bucket, origin):
        self.s3 = client(endpoint)
        self.bucket = bucket
        self.origin = origin
        self.ops = []
        self.lock = threading.Lock()
        self.s3.create_bucket(Bucket=bucket)
        self.s3.put_bucket_cors(
            Bucket=bucket,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": [origin],
                        "AllowedMethods": ["PUT"],
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                        "MaxAgeSeconds": 600,
                    }
                ]
            },
        )

    def presigned(self, method, key, md5, **params):
        # Content-MD5 is signed: the store refuses a body whose MD5 is another.
        url = self.s3.generate_presigned_url(
            method,
            Params={"Bucket": self.bucket, "Key": key, "ContentMD5": md5, **params},
            ExpiresIn=EXPIRES,
        )
        return {"url": url, "headers": {"Content-MD5": md5}}

    def answer(self, key, r):
        op = r["op"]
        with self.lock:
            self.ops.append({"op": op, "key": key})
        if op == "put":
            return self.presigned("put_object", key, r["contentMd5"])
        if op == "create":
            u = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType="application/zip")
            return {"uploadId": u["UploadId"]}
        if op == "part":
            return self.presigned(
                "upload_part", key, r["contentMd5"], UploadId=r["uploadId"], PartNumber=int(r["partNumber"])
            )
        if op == "complete":
            parts = [{"PartNumber": int(p["partNumber"]), "ETag": p["etag"]} for p in r["parts"]]
            done = self.s3.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=r["uploadId"], MultipartUpload={"Parts": parts}
            )
            return {"etag": done["ETag"]}
        if op == "abort":
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=r["uploadId"])
            return {}
        raise ValueError(f"unknown op {op!r}")


def handler(host):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def cors(self):
            self.send_header("Access-Control-Allow-Origin", host.origin)
            self.send_header("Access-Control-Allow-Methods", "POST")
            self.send_header("Access-Control-Allow-Headers", "content-type")

        def reply(self, status, body, content_type="application/json", headers=()):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.cors()
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_OPTIONS(self):
            self.send_response(204)
            self.cors()
            self.end_headers()

        def do_POST(self):
            if self.path != "/presign":
                return self.reply(404, {"error": "not found"})
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length))
            try:
                self.reply(200, host.answer(body["key"], body["request"]))
            except (ClientError, KeyError, ValueError) as e:
                self.reply(502, {"error": str(e)})

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/ops":
                with host.lock:
                    return self.reply(200, host.ops)
            if url.path == "/uploads":
                ups = host.s3.list_multipart_uploads(Bucket=host.bucket).get("Uploads", [])
                return self.reply(200, [{"key": u["Key"], "uploadId": u["UploadId"]} for u in ups])
            if url.path == "/object":
                key = parse_qs(url.query)["key"][0]
                try:
                    o = host.s3.get_object(Bucket=host.bucket, Key=key)
                except ClientError:
                    return self.reply(404, {"error": "no such key"})
                return self.reply(200, o["Body"].read(), "application/octet-stream", [("X-ETag", o["ETag"])])
            self.reply(404, {"error": "not found"})

    return Handler


def main():
    endpoint, bucket, origin = sys.argv[1:4]
    host = Host(endpoint, bucket, origin)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(host))
    print(f"s3 host: http://127.0.0.1:{server.server_address[1]}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
