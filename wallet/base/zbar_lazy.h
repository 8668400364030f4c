/* <zbar.h> for code that loads libzbar on first use (lazylib.h): the zbar
 * functions ehr calls become the wrappers of lazylib.c. Include it in place
 * of <zbar.h>. */
#ifndef EHR_ZBAR_LAZY_H
#define EHR_ZBAR_LAZY_H

#include <zbar.h>

#include "wallet/base/lazylib.h"

zbar_image_scanner_t *lazy_zbar_image_scanner_create(void);
void lazy_zbar_image_scanner_destroy(zbar_image_scanner_t *scanner);
int lazy_zbar_image_scanner_set_config(zbar_image_scanner_t *scanner, zbar_symbol_type_t symbology,
				       zbar_config_t config, int value);
zbar_image_t *lazy_zbar_image_create(void);
void lazy_zbar_image_destroy(zbar_image_t *image);
void lazy_zbar_image_set_format(zbar_image_t *image, unsigned long format);
void lazy_zbar_image_set_size(zbar_image_t *image, unsigned width, unsigned height);
void lazy_zbar_image_set_data(zbar_image_t *image, const void *data, unsigned long length,
			      zbar_image_cleanup_handler_t *cleanup);
int lazy_zbar_scan_image(zbar_image_scanner_t *scanner, zbar_image_t *image);
const zbar_symbol_t *lazy_zbar_image_first_symbol(const zbar_image_t *image);
const zbar_symbol_t *lazy_zbar_symbol_next(const zbar_symbol_t *symbol);
zbar_symbol_type_t lazy_zbar_symbol_get_type(const zbar_symbol_t *symbol);
const char *lazy_zbar_symbol_get_data(const zbar_symbol_t *symbol);
unsigned int lazy_zbar_symbol_get_data_length(const zbar_symbol_t *symbol);

#define zbar_image_scanner_create lazy_zbar_image_scanner_create
#define zbar_image_scanner_destroy lazy_zbar_image_scanner_destroy
#define zbar_image_scanner_set_config lazy_zbar_image_scanner_set_config
#define zbar_image_create lazy_zbar_image_create
#define zbar_image_destroy lazy_zbar_image_destroy
#define zbar_image_set_format lazy_zbar_image_set_format
#define zbar_image_set_size lazy_zbar_image_set_size
#define zbar_image_set_data lazy_zbar_image_set_data
#define zbar_scan_image lazy_zbar_scan_image
#define zbar_image_first_symbol lazy_zbar_image_first_symbol
#define zbar_symbol_next lazy_zbar_symbol_next
#define zbar_symbol_get_type lazy_zbar_symbol_get_type
#define zbar_symbol_get_data lazy_zbar_symbol_get_data
#define zbar_symbol_get_data_length lazy_zbar_symbol_get_data_length

#endif
