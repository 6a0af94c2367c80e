/*
 * The sender's key pair and the endpoints' sealed secrets (sql/010).
 * The private key file holds 32 random bytes ("wadeskctl keygen FILE"
 * makes one, as for the credentials key); they are the X25519 secret
 * key of libsodium's crypto_box, and the public key derived from them
 * is what wadesk.fcgi seals new secrets to (crypto_box_seal).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hook.h"
#include "log.h"

/*
 * Read the private key from "path" into "sk" and derive "pk".  The
 * file must be exactly 32 bytes and not readable by group or others.
 * Returns 0, or -1 with a sentence logged.
 */
int
hook_key_load(const char *path, unsigned char sk[crypto_box_SECRETKEYBYTES],
    unsigned char pk[crypto_box_PUBLICKEYBYTES])
{
	struct stat	 st;
	unsigned char	 extra;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warnx("webhook key %s: %s; create it with \"wadeskctl "
		    "keygen %s\" as the sender's user", path, strerror(errno),
		    path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || (st.st_mode & 077) != 0) {
		log_warnx("webhook key %s: readable by others (or unreadable); "
		    "chmod 600 it", path);
		close(fd);
		return -1;
	}
	n = read(fd, sk, crypto_box_SECRETKEYBYTES);
	if (n != crypto_box_SECRETKEYBYTES || read(fd, &extra, 1) != 0) {
		log_warnx("webhook key %s: want exactly %d bytes; make a new "
		    "one with \"wadeskctl keygen\"", path,
		    crypto_box_SECRETKEYBYTES);
		sodium_memzero(sk, crypto_box_SECRETKEYBYTES);
		close(fd);
		return -1;
	}
	close(fd);
	if (crypto_scalarmult_base(pk, sk) != 0) {
		log_warnx("webhook key %s: not a usable key", path);
		return -1;
	}
	return 0;
}

/*
 * Open secret "sealed" ("len" bytes, crypto_box_seal output) with the
 * key pair into "out" as a NUL-terminated string.  Returns 0, or -1 if
 * it was sealed to another key, was tampered with, or is not a secret
 * of the expected shape ("out" is then "").
 */
int
hook_secret_open(const unsigned char *sk, const unsigned char *pk,
    const unsigned char *sealed, size_t len, char out[HOOK_SECRET_MAX])
{
	size_t	 plen;

	out[0] = '\0';
	if (len <= crypto_box_SEALBYTES ||
	    (plen = len - crypto_box_SEALBYTES) >= HOOK_SECRET_MAX)
		return -1;
	if (crypto_box_seal_open((unsigned char *)out, sealed, len, pk,
	    sk) != 0)
		return -1;
	out[plen] = '\0';
	if (strlen(out) != plen || strncmp(out, HOOK_SECRET_PREFIX,
	    strlen(HOOK_SECRET_PREFIX)) != 0) {
		sodium_memzero(out, HOOK_SECRET_MAX);
		out[0] = '\0';
		return -1;
	}
	return 0;
}
