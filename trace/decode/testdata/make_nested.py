# Writes nested.eml: a message with nested multiparts in GBK, Big5,
# ISO-8859-1 and UTF-8, and attachments named in RFC 2231 and RFC 2047 form.
# Python's own codecs make the bytes, so the test checks maillab against an
# independent encoder. Run: python3 make_nested.py
import base64, quopri

def b64(b):
    s = base64.b64encode(b).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76))

def qp(b):
    return quopri.encodestring(b).decode().replace("\n", "\r\n")

gbk_text = "简单的邮件发送测试！\r\n第二行。\r\n".encode("gbk")
big5_html = "<p>繁體中文測試</p>\r\n".encode("big5")
latin = "Café crème, déjà vu.\r\n".encode("iso-8859-1")
fname_2231 = "".join("%%%02X" % c for c in "报告.txt".encode("gbk"))
subject = "=?GBK?B?" + base64.b64encode("邮件测试".encode("gbk")).decode() + "?="
from_name = "=?UTF-8?Q?" + "".join("=%02X" % c for c in "张三".encode()) + "?="
to_name = "=?Big5?B?" + base64.b64encode("李四".encode("big5")).decode() + "?="
note_name = "=?UTF-8?B?" + base64.b64encode("笔记.txt".encode()).decode() + "?="

msg = f"""From: {from_name} <gacl@sohu.com>
To: {to_name} <bbb@sina.com>
Subject: {subject}
 =?ISO-8859-1?Q?caf=E9?=
Date: Fri, 27 Nov 2026 09:00:00 +0800
Message-ID: <nested.1@sohu.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

This is a multi-part message in MIME format.
--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=GBK
Content-Transfer-Encoding: base64

{b64(gbk_text)}
--inner
Content-Type: text/html; charset=Big5
Content-Transfer-Encoding: quoted-printable

{qp(big5_html)}
--inner--

--outer
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

{qp(latin)}
--outer
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=gbk''{fname_2231}
Content-Transfer-Encoding: base64

{b64(bytes(range(256)))}
--outer
Content-Type: text/plain; charset=UTF-8; name="{note_name}"
Content-Disposition: attachment
Content-Transfer-Encoding: 8bit

notes in UTF-8: 你好
--outer
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="../../etc/evil"
Content-Transfer-Encoding: base64

{b64(b"evil")}
--outer--
"""
msg = msg.replace("\r\n", "\n").replace("\n", "\r\n")
open("nested.eml", "wb").write(msg.encode("utf-8"))
