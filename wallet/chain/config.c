#include "wallet/chain/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"
#include "wallet/base/paths.h"

#define CONFIG_MAX (1u << 20)

int network_name_check(const char *name, ehr_err *e)
{
	size_t i, n = strlen(name);

	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			break;
	}
	if (n == 0 || n > NETWORK_NAME_MAX || i < n)
		return ehr_fail(e, EHR_EUSAGE,
				"bad network name '%s': use up to 64 letters, digits, '.', '_' or '-'", name);
	return 0;
}

int network_symbol_check(const char *symbol, ehr_err *e)
{
	size_t i, n = strlen(symbol);

	for (i = 0; i < n; i++) {
		char c = symbol[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			break;
	}
	if (n == 0 || n > NETWORK_SYMBOL_MAX || i < n)
		return ehr_fail(e, EHR_EUSAGE, "bad symbol '%.40s%s': use 1 to %d letters or digits",
				symbol, n > 40 ? "..." : "", NETWORK_SYMBOL_MAX);
	return 0;
}

static int parse_network(const char *path, const cJSON *item, network *net, ehr_err *e)
{
	const cJSON *rpc = cJSON_GetObjectItemCaseSensitive(item, "rpc");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "chain_id");
	const cJSON *reg = cJSON_GetObjectItemCaseSensitive(item, "registry");
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(item, "token");
	const cJSON *sym = cJSON_GetObjectItemCaseSensitive(item, "symbol");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(item, "explorer");
	const cJSON *http = cJSON_GetObjectItemCaseSensitive(item, "allow_http");
	ehr_err ignored;

	memset(net, 0, sizeof(*net));
	if (!item->string || network_name_check(item->string, &ignored))
		return ehr_fail(e, EHR_EINTEGRITY, "%s: bad network name", path);
	strcpy(net->name, item->string);
	if (!cJSON_IsString(rpc) || strlen(rpc->valuestring) > NETWORK_URL_MAX)
		return ehr_fail(e, EHR_EINTEGRITY, "%s: network '%s' has no rpc URL", path, net->name);
	strcpy(net->rpc, rpc->valuestring);
	if (id && (!cJSON_IsNumber(id) || id->valuedouble < 0 || id->valuedouble > 9007199254740991.0))
		return ehr_fail(e, EHR_EINTEGRITY, "%s: network '%s' has a bad chain_id", path, net->name);
	net->chain_id = id ? (uint64_t)id->valuedouble : 0;
	if (reg && !cJSON_IsNull(reg)) {
		if (!cJSON_IsString(reg) || eip55_parse(reg->valuestring, net->registry, &ignored))
			return ehr_fail(e, EHR_EINTEGRITY, "%s: network '%s' has a bad registry address",
					path, net->name);
		net->has_registry = true;
	}
	if (tok && !cJSON_IsNull(tok)) {
		if (!cJSON_IsString(tok) || eip55_parse(tok->valuestring, net->token, &ignored))
			return ehr_fail(e, EHR_EINTEGRITY, "%s: network '%s' has a bad token address",
					path, net->name);
		net->has_token = true;
	}
	if (sym && !cJSON_IsNull(sym)) {
		if (!cJSON_IsString(sym) || network_symbol_check(sym->valuestring, &ignored))
			return ehr_fail(e, EHR_EINTEGRITY, "%s: network '%s' has a bad symbol",
					path, net->name);
		strcpy(net->symbol, sym->valuestring);
	} else {
		strcpy(net->symbol, NETWORK_DEFAULT_SYMBOL);
	}
	if (exp && !cJSON_IsNull(exp)) {
		if (!cJSON_IsString(exp) || strlen(exp->valuestring) > NETWORK_URL_MAX)
			return ehr_fail(e, EHR_EINTEGRITY, "%s: network '%s' has a bad explorer URL",
					path, net->name);
		strcpy(net->explorer, exp->valuestring);
	}
	if (http && !cJSON_IsBool(http))
		return ehr_fail(e, EHR_EINTEGRITY, "%s: network '%s' has a bad allow_http", path, net->name);
	net->allow_http = cJSON_IsTrue(http);
	return 0;
}

int config_load(config **out, ehr_err *e)
{
	config *cfg = calloc(1, sizeof(*cfg));
	char path[4096], *text = NULL;
	const cJSON *nets, *item, *def;
	cJSON *root = NULL;
	size_t len;
	int rc;

	if (!cfg)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	if ((rc = paths_get(PLACE_CONFIG, path, sizeof(path), e)))
		goto fail;
	if (!(cfg->path = strdup(path))) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto fail;
	}
	if (!file_exists(path)) {
		*out = cfg;
		return 0;
	}
	if ((rc = file_read_all(path, CONFIG_MAX, &text, &len, e)))
		goto fail;
	if (!(root = cJSON_ParseWithLength(text, len)) || !cJSON_IsObject(root)) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "%s is not valid JSON", path);
		goto fail;
	}
	def = cJSON_GetObjectItemCaseSensitive(root, "default_network");
	if (cJSON_IsString(def) && strlen(def->valuestring) <= NETWORK_NAME_MAX)
		strcpy(cfg->default_network, def->valuestring);
	nets = cJSON_GetObjectItemCaseSensitive(root, "networks");
	if (nets && !cJSON_IsObject(nets)) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "%s: \"networks\" is not an object", path);
		goto fail;
	}
	cJSON_ArrayForEach(item, nets) {
		network net, *grown;

		if ((rc = parse_network(path, item, &net, e)))
			goto fail;
		if (!(grown = realloc(cfg->networks, (cfg->nnetworks + 1) * sizeof(*grown)))) {
			rc = ehr_fail(e, EHR_EFAIL, "out of memory");
			goto fail;
		}
		cfg->networks = grown;
		cfg->networks[cfg->nnetworks++] = net;
	}
	cJSON_Delete(root);
	free(text);
	*out = cfg;
	return 0;
fail:
	cJSON_Delete(root);
	free(text);
	config_free(cfg);
	return rc;
}

int config_save(const config *cfg, ehr_err *e)
{
	cJSON *root = cJSON_CreateObject(), *nets;
	char dir[4096], *text;
	const char *slash;
	size_t i;
	int rc;

	if (cfg->default_network[0])
		cJSON_AddStringToObject(root, "default_network", cfg->default_network);
	nets = cJSON_AddObjectToObject(root, "networks");
	for (i = 0; i < cfg->nnetworks; i++) {
		const network *n = &cfg->networks[i];
		cJSON *o = cJSON_AddObjectToObject(nets, n->name);
		char addr[43];

		cJSON_AddStringToObject(o, "rpc", n->rpc);
		if (n->chain_id)
			cJSON_AddNumberToObject(o, "chain_id", (double)n->chain_id);
		if (n->has_registry) {
			eip55_format(n->registry, addr);
			cJSON_AddStringToObject(o, "registry", addr);
		}
		if (n->has_token) {
			eip55_format(n->token, addr);
			cJSON_AddStringToObject(o, "token", addr);
		}
		/* ETH goes unsaid, as in the files from before there were symbols */
		if (n->symbol[0] && strcmp(n->symbol, NETWORK_DEFAULT_SYMBOL))
			cJSON_AddStringToObject(o, "symbol", n->symbol);
		if (n->explorer[0])
			cJSON_AddStringToObject(o, "explorer", n->explorer);
		if (n->allow_http)
			cJSON_AddTrueToObject(o, "allow_http");
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	slash = strrchr(cfg->path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - cfg->path) : 1,
		 slash ? cfg->path : ".");
	rc = dir_ensure(dir, 0700, e);
	if (!rc) {
		size_t n = strlen(text);

		text[n] = '\n';  /* cJSON_Print leaves room: replace the NUL */
		rc = file_write_atomic(cfg->path, text, n + 1, 0600, true, e);
	}
	cJSON_free(text);
	return rc;
}

network *config_network(config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nnetworks; i++)
		if (!strcmp(cfg->networks[i].name, name))
			return &cfg->networks[i];
	return NULL;
}

int config_network_put(config *cfg, const network *net, ehr_err *e)
{
	network *slot = config_network(cfg, net->name), *grown;
	int rc;

	if ((rc = network_name_check(net->name, e)) ||
	    (net->symbol[0] && (rc = network_symbol_check(net->symbol, e))))
		return rc;
	if (!slot) {
		if (!(grown = realloc(cfg->networks, (cfg->nnetworks + 1) * sizeof(*grown))))
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		cfg->networks = grown;
		slot = &cfg->networks[cfg->nnetworks++];
	}
	*slot = *net;
	if (!slot->symbol[0])
		strcpy(slot->symbol, NETWORK_DEFAULT_SYMBOL);
	return 0;
}

int config_network_remove(config *cfg, const char *name, ehr_err *e)
{
	network *slot = config_network(cfg, name);
	size_t i;

	if (!slot)
		return ehr_fail(e, EHR_EFAIL, "no network named '%s'", name);
	i = (size_t)(slot - cfg->networks);
	memmove(slot, slot + 1, (cfg->nnetworks - i - 1) * sizeof(*slot));
	cfg->nnetworks--;
	if (!strcmp(cfg->default_network, name))
		cfg->default_network[0] = '\0';
	return 0;
}

void config_free(config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->networks);
	free(cfg);
}
