#!/usr/bin/env python3
"""Write the seed corpora of the web fuzz targets (mk/webfuzz.mk) into
tests/fuzz/corpus/NAME/, one file per meaningful request.  The files
are committed; run this again after changing an input layout.  The
layouts are described at the top of each tests/fuzz/fuzz_NAME.c."""
import os
import struct

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
HEX = '5e55105e55105e55105e55105e55105e55105e55105e55105e55105e55105e55'
CSRF = 'cafe' * 16


def nv(name, value):
    """One FastCGI name-value pair (1- or 4-byte lengths)."""
    out = b''
    for n in (len(name), len(value)):
        out += bytes([n]) if n < 128 else struct.pack('>I', n | 0x80000000)
    return out + name + value


def params(seed, flags, pairs, body=b''):
    block = b''.join(nv(k.encode(), v.encode()) for k, v in pairs)
    return bytes([seed, flags]) + struct.pack('>H', len(block)) + block + body


def write(name, label, data):
    d = os.path.join(TOP, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, label), 'wb') as f:
        f.write(data)


FORM = 'application/x-www-form-urlencoded'
LOGIN = 'username=admin&password=s3cret%21&csrf=' + CSRF
SEEDS = {
    'fuzz_params': {
        'get-https': params(1, 0, [
            ('REQUEST_METHOD', 'GET'), ('HTTPS', 'on'),
            ('REQUEST_URI', '/accounts?status=pending&page=2'),
            ('HTTP_COOKIE', 'wadesk_session=' + HEX),
            ('REMOTE_ADDR', '127.0.0.1')]),
        'post-login': params(7, 8, [
            ('REQUEST_METHOD', 'POST'), ('REQUEST_URI', '/login'),
            ('CONTENT_TYPE', FORM), ('CONTENT_LENGTH', str(len(LOGIN))),
            ('HTTPS', '')], LOGIN.encode()),
        'post-chunked': params(3, 2, [
            ('REQUEST_METHOD', 'POST'), ('DOCUMENT_URI', '/accounts'),
            ('CONTENT_TYPE', FORM + '; charset=UTF-8')],
            b'label=Shop+%3C1%3E&csrf=' + CSRF.encode()),
        'post-read-fails': params(9, 1, [
            ('REQUEST_METHOD', 'POST'), ('REQUEST_URI', '/logout'),
            ('CONTENT_TYPE', FORM), ('CONTENT_LENGTH', '20')],
            b'csrf=' + CSRF[:15].encode()),
        'bad-length': params(0, 0, [
            ('REQUEST_METHOD', 'POST'), ('REQUEST_URI', '/login'),
            ('CONTENT_LENGTH', '-1')]),
        'too-large': params(0, 0, [
            ('REQUEST_METHOD', 'POST'), ('REQUEST_URI', '/login'),
            ('CONTENT_LENGTH', '16385')]),
        'not-a-form': params(0, 0, [
            ('REQUEST_METHOD', 'POST'), ('REQUEST_URI', '/login'),
            ('CONTENT_TYPE', 'text/plain'), ('CONTENT_LENGTH', '3')],
            b'a=b'),
        'long-name': params(0, 0, [
            ('HTTP_X_' + 'A' * 200, 'v' * 130),
            ('REQUEST_URI', 'relative'), ('REQUEST_METHOD', 'HEAD')]),
    },
    'fuzz_form': {
        'login': b'\x05' + LOGIN.encode(),
        'chunked': b'\x01' + b'label=Caf%C3%A9+%E2%98%95&auto=on',
        'odd': b'\x10' + b'&&a&=b&c=&d=%2B+%26',
        'bad-escape': b'\x02' + b'a=%zz&b=%0',
        'nul': b'\x02' + b'a=%00',
    },
    'fuzz_query': {
        'list': b'/accounts?status=pending&page=2',
        'qr': b'/accounts/5/qr.png?v=3',
        'next': b'/login?next=%2Faccounts%2F5&notice=signed_out',
        'encoded': b'/a+b/%C3%A9?x=%3Cy%3E&&=z&k',
        'bad': b'/%zz?a=%',
        'absolute': b'http://evil.example/',
    },
    'fuzz_cookie': {
        'both': ('wadesk_session=%s; wadesk_login=%s' % (HEX, CSRF)).encode(),
        'blanks': b' a = b ;;=x; c;\td\t=\t e=f \t',
        'many': '; '.join('k%d=v' % i for i in range(66)).encode(),
    },
    'fuzz_route': {},
    'fuzz_tmpl': {
        'values': b'\x00\x12\x34\x56\x78<script>alert(1)</script>\xff'
                  b'" onmouseover="x\xff\' x=\'\xff&amp;&#39;\xff'
                  b'javascript:alert(1)',
        'layout': b'\x03\x00\x00\x00\x2a<b>\xffa&b',
        'account': b'\x2a\xde\xad\xbe\xef\xc3\xa9\xe2\x98\x95<>"\'',
        'source': b'\x02\x00\x00\x00\x01<p class="x @@class@@" '
                  b'title=\'@@title@@\'>@@content@@</p><!-- @@id@@ -->'
                  b'<a href="/accounts/@@id@@">@@label@@</a>',
        'source-unsafe': b'\x02\x00\x00\x00\x01<a href=@@href@@ '
                         b'onclick="@@id@@">',
    },
}

ROUTES = [
    ('signed-in-get', 0 | 4, '/', 'wadesk_session=' + HEX, ''),
    ('pair', 2 | 4, '/accounts/5/pair', 'wadesk_session=' + HEX,
     'csrf=' + CSRF),
    ('pair-forged', 2 | 4, '/accounts/5/pair', 'wadesk_session=' + HEX,
     'csrf=' + 'cafe' * 15 + 'cafd'),
    ('admin-add', 2 | 4 | 8, '/settings/operators',
     'a=1; wadesk_session=' + HEX, 'username=x&csrf=' + CSRF),
    ('not-admin', 0 | 4, '/settings/operators', 'wadesk_session=' + HEX, ''),
    ('no-session', 0, '/accounts/7/events?before=3', '', ''),
    ('qr', 1, '/accounts/7/qr.png?v=2', '', ''),
    ('login-post', 2, '/login', 'wadesk_login=' + CSRF,
     'username=a&password=b&csrf=' + CSRF),
    ('logout', 2 | 4, '/logout', 'wadesk_session=' + HEX, 'csrf=' + CSRF),
    ('delete-method', 3, '/accounts', '', ''),
    ('db-down', 0 | 4 | 16, '/accounts', 'wadesk_session=' + HEX, ''),
    ('health-db-down', 16, '/health/deep', '', ''),
    ('encoded-next', 0, '/accounts/%0d%0aSet-Cookie:%20x=1', '', ''),
    ('op-password', 2 | 4 | 8, '/settings/operators/3/password',
     'wadesk_session=' + HEX, 'password=x&csrf=' + CSRF),
]
for label, flags, uri, cookie, form in ROUTES:
    SEEDS['fuzz_route'][label] = bytes([flags]) + \
        ('%s\n%s\n%s' % (uri, cookie, form)).encode()

for name, seeds in SEEDS.items():
    for label, data in seeds.items():
        write(name, label, data)
