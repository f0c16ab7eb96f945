/* status.c - RatGetLastError, RatStatusString and the per-thread status. */
#include "config.h"
#include <errno.h>
#include "internal.h"

/* Owned by each thread; no sharing, so no locking. */
static __thread RatStatus last_error = RAT_STATUS_OK;

RatStatus ratmem_fail(RatStatus s)
{
    last_error = s;
    return s;
}

void *ratmem_fail_null(RatStatus s)
{
    last_error = s;
    return NULL;
}

RatStatus ratmem_status_from_errno(int err)
{
    switch (err) {
    case EACCES:
    case EPERM:
        return RAT_STATUS_PERMISSION;
    case ENOMEM:
    case EOVERFLOW:
    case EFBIG:
    case ENOSPC:
        return RAT_STATUS_NO_MEMORY;
    case EINVAL:
    case EBADF:
    case ENODEV:
    case ENAMETOOLONG:
        return RAT_STATUS_INVALID_ARG;
    case EEXIST:
        return RAT_STATUS_EXISTS;
    case ENOENT:
        return RAT_STATUS_NOT_FOUND;
    default:
        return RAT_STATUS_ERROR;
    }
}

RatStatus RatGetLastError(void)
{
    return last_error;
}

const char *RatStatusString(RatStatus status)
{
    switch (status) {
    case RAT_STATUS_OK:
        return "success";
    case RAT_STATUS_ERROR:
        return "operating system error";
    case RAT_STATUS_INVALID_ARG:
        return "invalid argument";
    case RAT_STATUS_NO_MEMORY:
        return "out of memory";
    case RAT_STATUS_PERMISSION:
        return "permission denied";
    case RAT_STATUS_EXISTS:
        return "already exists";
    case RAT_STATUS_NOT_FOUND:
        return "not found";
    case RAT_STATUS_UNSUPPORTED:
        return "not supported in this process";
    }
    return "unknown status";
}
