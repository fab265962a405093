"""A real SMTP server for tests (Debian's python3-aiosmtpd), started by
libs/testing/smtp_receiver.cc.

Listens on 127.0.0.1 on a port it picks, writes that port to --port_file once
it accepts connections, and writes each message it accepts as one JSON file in
--dir: {"mailFrom", "rcptTos", "raw", "headers": [[name, value], ...],
"subject", "body"}, parsed by Python's email package (headers decoded). A
recipient whose local part starts with "reject" is refused with 550, as a
server refuses an unknown mailbox.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("reject"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        record = {
            "mailFrom": envelope.mail_from,
            "rcptTos": list(envelope.rcpt_tos),
            "raw": raw.decode("utf-8", errors="replace"),
            "headers": [[name, str(value)] for name, value in message.items()],
            "subject": str(message.get("Subject", "")),
            "body": body.get_content() if body is not None else "",
        }
        self.count += 1
        path = os.path.join(self.folder, "%06d.json" % self.count)
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.replace(path + ".tmp", path)
        return "250 Message accepted for delivery"


async def serve(folder, port_file):
    loop = asyncio.get_running_loop()
    handler = Handler(folder)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="tocsin-test-smtp"), host="127.0.0.1", port=0)
    port = server.sockets[0].getsockname()[1]
    with open(port_file + ".tmp", "w") as out:
        out.write("%d\n" % port)
    os.replace(port_file + ".tmp", port_file)
    async with server:
        await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True, help="folder for received messages")
    parser.add_argument("--port_file", required=True, help="where to write the port")
    args = parser.parse_args()
    asyncio.run(serve(args.dir, args.port_file))


if __name__ == "__main__":
    main()
