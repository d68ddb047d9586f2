/* SPDX-License-Identifier: LicenseRef-Proprietary */
#include <string.h>

#include "common.h"

const char *alpr_strerror(int err)
{
	if (err > 0) {
		err = -err;
	}
	switch (-err) {
	case 0:
		return "success";
	case ALPR_E_PARSE:
		return "malformed input";
	case ALPR_E_SIGNATURE:
		return "signature does not verify";
	case ALPR_E_BASE:
		return "base version is not the current version";
	case ALPR_E_REFUSED:
		return "refused by policy";
	case ALPR_E_CORRUPT:
		return "stored data is corrupt";
	default:
		break;
	}
	if (-err < ALPR_E_FIRST) {
		/* strerror() may use a shared buffer for unknown codes; every errno we return is
		 * known, and glibc's table entries are static. strerrordesc_np is thread-safe. */
		const char *s = strerrordesc_np(-err);
		return s ? s : "unknown error";
	}
	return "unknown error";
}
