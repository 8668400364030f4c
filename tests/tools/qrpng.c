/* qrpng TEXT FILE: writes TEXT's QR code to FILE as a PNG, the way `ehr
 * grant --qr-png` writes a grant's (cli/qr.c), so a test can hand `ehr
 * access --qr-image` a code of something other than a grant. */
#include <stdio.h>

#include <sodium.h>

#include "cli/qr.h"

int main(int argc, char **argv)
{
	ehr_err e = { 0 };

	if (argc != 3) {
		fprintf(stderr, "usage: qrpng TEXT FILE\n");
		return 2;
	}
	if (sodium_init() < 0 || qr_write_png(argv[2], argv[1], &e)) {
		fprintf(stderr, "qrpng: %s\n", e.msg);
		return 1;
	}
	return 0;
}
