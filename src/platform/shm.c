/* shm.c - memfd-backed pages (see shm.h). */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "netchannel/wire.h"
#include "shm.h"

int nc_shm_create(unsigned npages, const char *name, uint8_t **base)
{
	size_t len = (size_t)npages * NC_PAGE_SIZE;
	int fd = memfd_create(name, MFD_CLOEXEC);
	void *p;

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)len) < 0)
		goto fail;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	*base = p;
	return fd;
fail:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

uint8_t *nc_shm_reserve(unsigned n)
{
	void *p = mmap(NULL, (size_t)n * NC_PAGE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int nc_shm_map_page(uint8_t *at, int fd, unsigned page, int writable)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *p = mmap(at, NC_PAGE_SIZE, prot, MAP_SHARED | MAP_FIXED, fd,
		       (off_t)page * NC_PAGE_SIZE);

	return p == MAP_FAILED ? -1 : 0;
}

void nc_shm_unmap(uint8_t *addr, unsigned n)
{
	if (addr && n)
		munmap(addr, (size_t)n * NC_PAGE_SIZE);
}
