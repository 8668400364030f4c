/* Where envelopes are kept (DESIGN.md section 9): a small interface that
 * every storage back end implements, and a registry that finds the back end
 * of a store spec ("dir:/mnt/share") or of a record locator
 * ("dir:/mnt/share/<hex>.ehr", "chain:<hex>") by its scheme, the part before
 * the first ':'. Commands use only this interface, so IPFS or HTTPS stores
 * slot in later without touching them.
 *
 * Back ends move opaque bytes: an envelope is already encrypted and its
 * SHA-256 (the content hash) is anchored on chain, so a back end needs no
 * secret and checks nothing; the reader verifies the hash
 * (envelope_open_to_path) of whatever get returns.
 *
 * Built in: "dir" (store_dir.c). The "chain" back end (ciphertext in
 * calldata chunks, found again through the registry's ChunkStored events)
 * lives with the chain layer, which needs a node, a registry and a signer:
 * it registers its store_ops with store_register() at start-up and is
 * opened with store_open_ctx(spec, ctx, ...), ctx being whatever it needs
 * (its client and account). Its put returns the locator
 * "chain:<content hash, 64 hex digits>"; the upload itself may happen later,
 * in the transaction that anchors the record (storeAndAnchor), which is why
 * put takes the content hash and size rather than computing them. Its del
 * fails: calldata cannot be deleted (can_erase is false).
 *
 * Nothing here prints, prompts or exits. */
#ifndef EHR_STORE_H
#define EHR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

#define STORE_LOCATOR_MAX 4200     /* "dir:" + PATH_MAX + "/<64 hex digits>.ehr" */

typedef struct store store;

struct store_ops {
	const char *scheme;        /* "dir", "chain": a spec or locator starts with scheme ':' */
	bool can_erase;            /* del really removes the bytes */

	/* arg is the spec after "scheme:" (may be ""); ctx is store_open_ctx's.
	 * Allocates *out, whose first member is a struct store (store_open_ctx
	 * sets its ops). */
	int (*open)(const char *arg, void *ctx, store **out, ehr_err *e);

	/* Stores the size bytes read from fd (from its offset to EOF), the
	 * envelope whose content hash is hash, and writes its locator, a
	 * NUL-terminated string of fewer than cap bytes, into locator. Storing
	 * the same envelope twice is harmless. */
	int (*put)(store *s, int fd, const uint8_t hash[32], uint64_t size,
		   char *locator, size_t cap, ehr_err *e);

	/* Writes the stored bytes of locator to out_fd. Not found: EHR_EFAIL. */
	int (*get)(store *s, const char *locator, int out_fd, ehr_err *e);

	/* Removes the bytes of locator. Already absent: 0. */
	int (*del)(store *s, const char *locator, ehr_err *e);

	/* Writes a spec that opens this store again ("dir:/abs/path"). */
	void (*describe)(store *s, char *out, size_t cap);

	void (*close)(store *s);
};

struct store {
	const struct store_ops *ops;
};

/* Adds a back end; its scheme must be new. Returns 0 or EHR_EUSAGE. ops is
 * kept (static storage). At most 16 back ends. */
int store_register(const struct store_ops *ops, ehr_err *e);

/* The back end whose scheme starts spec_or_locator (up to ':' or the end),
 * or NULL. */
const struct store_ops *store_find(const char *spec_or_locator);

/* Opens the store named by spec, "scheme:arg" or a bare "scheme". Unknown
 * schemes and malformed args are EHR_EUSAGE; the back end's own failures
 * keep their status. The caller closes *out with store_close. */
int store_open_ctx(const char *spec, void *ctx, store **out, ehr_err *e);

/* store_open_ctx with no context (enough for "dir:"). */
int store_open(const char *spec, store **out, ehr_err *e);

/* Opens the store a locator points into: "dir:<hex>" (what dir stores
 * write now) opens the directory store_dir_resolve finds; "dir:/a/b/<hex>.ehr"
 * (written before) opens "dir:/a/b", which must exist (EHR_EFAIL "dir:/a/b
 * does not exist": a locator comes from the chain and never makes
 * directories) and may have no "." or ".." component (EHR_EUSAGE); any
 * other scheme is opened with the locator as its spec. */
int store_open_for_locator(const char *locator, void *ctx, store **out, ehr_err *e);

/* The operations, through s->ops. */
int store_put(store *s, int fd, const uint8_t hash[32], uint64_t size,
	      char *locator, size_t cap, ehr_err *e);
int store_get(store *s, const char *locator, int out_fd, ehr_err *e);
int store_del(store *s, const char *locator, ehr_err *e);
void store_describe(store *s, char *out, size_t cap);
bool store_can_erase(const store *s);
void store_close(store *s);     /* NULL is fine */

/* The built-in directory back end.
 *
 * "dir:PATH" (a relative PATH is made absolute against the working
 * directory): the directory is created 0700 with its parents if missing
 * (failing that: EHR_EFAIL "cannot create dir:PATH: <why>"). Each envelope
 * is a file "<content hash in lowercase hex>.ehr", 0600, written atomically
 * (temporary file in the same directory, fsync, rename, fsync of the
 * directory); a directory we may not write to is EHR_EFAIL "cannot write to
 * dir:PATH: permission denied" at put. Locators are "dir:<64 hex digits>":
 * the content hash, no path (the chain is public; where a share is mounted
 * is not its business). Locators written before were
 * "dir:PATH/<64 hex digits>.ehr". get and del accept either, or the
 * bare file name (with or without ".ehr"); they use only the name, inside
 * this store's directory (so a share mounted elsewhere is read by opening
 * the store there), and refuse (EHR_EUSAGE) any locator with another shape,
 * a "." or ".." component, or a name that is not a content hash. get
 * refuses what is not a regular file (a planted symlink or device) and
 * verifies nothing else. del unlinks: this is the one store that can truly
 * erase. */
extern const struct store_ops store_dir_ops;

/* Whether locator is "dir:" and a file name with no directory (the locators
 * written now). */
bool store_dir_locator_bare(const char *locator);

/* Adds the directory of dir store s to the directories this EHR_HOME
 * remembers (the file "dir-stores" in the state directory, one absolute
 * path a line, 0600, written atomically), where path-less locators are
 * looked for. Does nothing for another store or a known directory. Two
 * processes adding at once may lose one line (it is added again at the
 * next put there). */
int store_dir_remember(store *s, ehr_err *e);

/* Finds the directory of a path-less locator ("dir:<hex>", see
 * store_dir_locator_bare): the first that holds a file of that name among
 * the entries of $EHR_STORE_DIR (absolute paths, ':' between them), then
 * the remembered directories (store_dir_remember). Writes "dir:DIR" into
 * spec. EHR_USAGE for a name that is not a content hash; EHR_EFAIL "record
 * ... is in none of the dir: stores known here ..." when none holds it. */
int store_dir_resolve(const char *locator, char *spec, size_t cap, ehr_err *e);

/* The file a "dir:" locator names: "dir:<hex>" in the directory
 * store_dir_resolve finds ("<dir>/<hex>.ehr"), an older "dir:PATH" at
 * PATH. Fails as store_dir_resolve and store_dir_check_locator do. */
int store_dir_file_of(const char *locator, char *path, size_t cap, ehr_err *e);

/* A "dir:PATH" locator whose PATH has a "." or ".." component: EHR_EUSAGE
 * "record locator '...' escapes its directory"; else 0. */
int store_dir_check_locator(const char *locator, ehr_err *e);

/* The content hash a "dir:" locator's file name spells ("dir:<64 hex
 * digits>" or "dir:PATH/<64 hex digits>.ehr", read as store_dir_ops' get
 * and del read it): 0 with hash
 * filled; EHR_EUSAGE for any other shape (another scheme, a "." or ".."
 * component, a name that is not a content hash). Reads no file. */
int store_dir_locator_hash(const char *locator, uint8_t hash[32], ehr_err *e);

#endif
