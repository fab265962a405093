"""A real SMTP server for tests (Debian's python3-aiosmtpd), started by
libs/testing/smtp_receiver.cc.

Listens on 127.0.0.1 on a port it picks, writes that port to --port_file once
it accepts connections, and writes each message it accepts as one JSON file in
--dir: {"mailFrom", "rcptTos", "raw", "headers": [[name, value], ...],
"subject", "body"}, parsed by Python's email package (headers decoded). A
recipient whose local part starts with "reject" is refused with 550, as a
server refuses an unknown mailbox.

With --control_file, the test can make the server refuse messages: before
each MAIL and DATA command it reads that JSON file (if present),
{"generation": G, "refuse": N, "code": C, "stage": "MAIL" | "DATA"}, and
refuses the next N messages of generation G (N < 0: every message) at that
stage with code C, writing one JSON file per refusal in --refused_dir. A new
generation starts counting afresh.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, folder, control_file=None, refused_dir=None):
        self.folder = folder
        self.count = 0
        self.control_file = control_file
        self.refused_dir = refused_dir
        self.generation = None
        self.refused_in_generation = 0
        self.refused = 0

    def _refusal(self, stage):
        """The reply refusing the current message at stage, or None."""
        if not self.control_file or not os.path.exists(self.control_file):
            return None
        try:
            with open(self.control_file, encoding="utf-8") as f:
                control = json.load(f)
        except (OSError, ValueError):
            return None
        if control.get("generation") != self.generation:
            self.generation = control.get("generation")
            self.refused_in_generation = 0
        if control.get("stage") != stage:
            return None
        limit = int(control.get("refuse", 0))
        if limit >= 0 and self.refused_in_generation >= limit:
            return None
        self.refused_in_generation += 1
        self.refused += 1
        code = int(control.get("code", 451))
        if self.refused_dir:
            path = os.path.join(self.refused_dir, "%06d.json" % self.refused)
            with open(path + ".tmp", "w", encoding="utf-8") as out:
                json.dump({"stage": stage, "code": code}, out)
            os.replace(path + ".tmp", path)
        enhanced = "4.3.0" if code < 500 else "5.3.0"
        return "%d %s refused by the test (%s)" % (code, enhanced, stage)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        refusal = self._refusal("MAIL")
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("reject"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        refusal = self._refusal("DATA")
        if refusal:
            return refusal
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


async def serve(folder, port_file, control_file, refused_dir):
    loop = asyncio.get_running_loop()
    handler = Handler(folder, control_file, refused_dir)
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
    parser.add_argument("--control_file", help="refusals the test asks for (JSON)")
    parser.add_argument("--refused_dir", help="folder for a record of each refusal")
    args = parser.parse_args()
    asyncio.run(serve(args.dir, args.port_file, args.control_file, args.refused_dir))


if __name__ == "__main__":
    main()
