/*
 * A plain test runner: every case prints "ok NAME" or "FAIL NAME: why" on
 * stdout (the format tests/run-all.sh counts); done() sets the exit status.
 */
let failed = 0;
let passed = 0;

/* Runs fn (sync or async); a thrown error or a false result is a failure. */
export async function check(name, fn) {
	try {
		const r = await fn();
		if (r === false)
			throw new Error('returned false');
		passed++;
		console.log(`ok ${name}`);
		return true;
	} catch (err) {
		failed++;
		console.log(`FAIL ${name}: ${err && err.message ? err.message : err}`);
		if (err && err.stack)
			console.error(err.stack);
		return false;
	}
}

/* Throws with msg unless cond holds. */
export function assert(cond, msg) {
	if (!cond)
		throw new Error(msg || 'assertion failed');
}

export function assertEq(a, b, msg) {
	const sa = Buffer.isBuffer(a) || a instanceof Uint8Array ?
	    Buffer.from(a).toString('hex') : String(a);
	const sb = Buffer.isBuffer(b) || b instanceof Uint8Array ?
	    Buffer.from(b).toString('hex') : String(b);
	if (sa !== sb)
		throw new Error(`${msg || 'mismatch'}: got ${sa}, want ${sb}`);
}

/* Prints the totals to stderr and exits 1 if anything failed. */
export function done() {
	console.error(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}
