/* QR codes of a grant URI: drawn in the terminal, or written as PNG or SVG
 * images that print well. Every code has error-correction level M and
 * holds the text's exact bytes (libqrencode picks numeric, alphanumeric and
 * 8-bit segments, all case-preserving), so a reader scans back exactly the
 * text given. Around each code is a light quiet zone of 4 modules, as
 * ISO/IEC 18004 asks (a narrow terminal may get 2, below).
 *
 * The text of a bearer grant holds its key: the images are written 0600,
 * and the module bitmap is wiped before it is freed. */
#ifndef EHR_QR_H
#define EHR_QR_H

#include <stdbool.h>
#include <stdio.h>

#include "wallet/base/err.h"

/* How the terminal drawing tells dark modules from light. A code scans
 * only with dark modules on light; the terminal's own colours are unknown.
 *
 *   QR_TERM_COLOR         SGR black on white (30;47) for the whole code and
 *                         its quiet zone: right on any background. The
 *                         default whenever colour is allowed.
 *   QR_TERM_DARK_BLOCKS   no escapes; dark modules are the glyphs: right on a
 *                         light background, in a file or on paper.
 *   QR_TERM_LIGHT_BLOCKS  no escapes; light modules are the glyphs: right on
 *                         a dark background.
 *
 * Without colour (NO_COLOR, or output that is not a terminal) neither plain
 * style is right everywhere; a code drawn for the wrong background comes
 * out inverted, which phone camera apps mostly read and zbar does not.
 * qr_term_style_plain() picks one: see there. */
enum qr_term_style {
	QR_TERM_COLOR,
	QR_TERM_DARK_BLOCKS,
	QR_TERM_LIGHT_BLOCKS
};

/* The style for output without colour: LIGHT_BLOCKS when $COLORFGBG (set
 * by rxvt, Konsole and others as "fg;bg") names a dark background colour
 * (0-6 or 8), else DARK_BLOCKS: text without colour mostly ends up in files,
 * mail and printouts, which are light. */
enum qr_term_style qr_term_style_plain(void);

/* The style a command uses: QR_TERM_COLOR when color (the output is a
 * terminal and NO_COLOR is unset), else qr_term_style_plain(). */
enum qr_term_style qr_term_style_for(bool color);

/* Draws the code of text on out with UTF-8 half blocks (U+2580, U+2584,
 * U+2588 and space: two modules a character cell, one above the other),
 * one line per two module rows, each line ending in "\n" (after "\033[0m"
 * in colour).
 *
 * Width: $COLUMNS when it is a positive number, else the terminal size of
 * width_fd (TIOCGWINSZ) when it is a terminal, else no limit. The code
 * takes its size plus 8 columns (a quiet zone of 4); when that does not
 * fit but a quiet zone of 2 does, it gets 2 (enough for a screen); when
 * neither fits nothing is written and the result is EHR_EUSAGE "the
 * terminal is N columns wide and the QR code needs M ...".
 * EHR_EUSAGE also for an empty text or one too long for a QR code;
 * EHR_EFAIL when writing fails. */
int qr_print_terminal(FILE *out, int width_fd, const char *text, enum qr_term_style style,
		      ehr_err *e);

/* The columns the terminal drawing of text needs with a quiet zone of 4
 * (and of 2 in *min_columns, which may be NULL). EHR_EUSAGE as above. */
int qr_terminal_columns(const char *text, int *columns, int *min_columns, ehr_err *e);

/* Pixels a module in the PNG, and its printed size: pHYs says 12,500
 * pixels a metre, so a module prints 0.8 mm wide (the SVG says the same in
 * mm): the code of a bearer URI (version 6 or 7) with its quiet zone is
 * 39 to 42 mm, small enough for a wallet card, large enough for any phone. */
#define QR_PNG_SCALE 10
#define QR_MODULE_MM 0.8

/* Writes the code of text to path as a 1-bit greyscale PNG (black on
 * white, quiet zone of 4 modules, QR_PNG_SCALE pixels a module), mode
 * 0600, atomically, replacing a file already there. EHR_EUSAGE for text
 * as above; EHR_EFAIL when encoding or writing fails. */
int qr_write_png(const char *path, const char *text, ehr_err *e);

/* Writes the code of text to path as SVG: a white background rect, the
 * dark modules as one path (shape-rendering crispEdges), one SVG unit a
 * module, a quiet zone of 4, width and height in mm (QR_MODULE_MM a
 * module). caption (UTF-8, may be NULL) is centred under the code in a
 * sans-serif <text>, shrunk to fit its width; it is escaped for XML and
 * control characters are dropped. Written as qr_write_png writes. */
int qr_write_svg(const char *path, const char *text, const char *caption, ehr_err *e);

#endif
