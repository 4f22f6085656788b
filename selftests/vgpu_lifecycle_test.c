// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu lifetime against an open VFIO user: removal asks the user to release
 * the vGPU through the request interrupt and never frees memory under it;
 * unloading refuses while a vGPU is open and tears down idle vGPUs.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vgpu_test.h"
#include "vfio_group.h"

FIXTURE(dev) {
	char uuid[40];
	struct vfio_handle h;
};

FIXTURE_SETUP(dev)
{
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	ASSERT_EQ(0, vgpu_load(""));
	uuid_gen(self->uuid);
	ASSERT_EQ(0, vgpu_create("dedicated", self->uuid));
	ASSERT_EQ(0, vfio_open(self->uuid, &self->h));
}

FIXTURE_TEARDOWN(dev)
{
	vfio_close(&self->h);
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
}

struct remover {
	const char *uuid;
	int ret;
};

static void *remove_thread(void *arg)
{
	struct remover *r = arg;

	r->ret = vgpu_remove(r->uuid);
	return NULL;
}

TEST_F(dev, device_info)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };

	ASSERT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, info.num_irqs);
	irq.index = VFIO_PCI_REQ_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	EXPECT_EQ(1, irq.count);
	EXPECT_TRUE(irq.flags & VFIO_IRQ_INFO_EVENTFD);
	irq.index = VFIO_PCI_NUM_IRQS;
	EXPECT_EQ(-1, ioctl(self->h.device, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	EXPECT_EQ(EINVAL, errno);
	/* A bad eventfd is refused. */
	EXPECT_EQ(-EBADF, vfio_set_irq_eventfd(self->h.device,
					       VFIO_PCI_REQ_IRQ_INDEX, 999));
	EXPECT_EQ(-EINVAL, vfio_set_irq_eventfd(self->h.device,
						VFIO_PCI_REQ_IRQ_INDEX, -7));
}

TEST_F(dev, remove_while_open_requests_release)
{
	struct remover r = { .uuid = self->uuid, .ret = 1 };
	long long mem_before = sysfs_num(VGPU_PARENT "/mem_free_bytes");
	int efd = eventfd(0, EFD_CLOEXEC);
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	unsigned long long count = 0;
	pthread_t th;

	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, vfio_set_irq_eventfd(self->h.device,
					  VFIO_PCI_REQ_IRQ_INDEX, efd));
	ASSERT_EQ(0, pthread_create(&th, NULL, remove_thread, &r));
	/* The driver asks us to let go... */
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(sizeof(count), read(efd, &count, sizeof(count)));
	EXPECT_GE(count, 1);
	/* ...and keeps the memory while we hold the device. */
	usleep(200 * 1000);
	EXPECT_EQ(1, r.ret);
	EXPECT_EQ(mem_before, sysfs_num(VGPU_PARENT "/mem_free_bytes"));
	EXPECT_EQ(1, sysfs_num(VGPU_PARENT "/vgpus"));
	vfio_close(&self->h);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, r.ret);
	EXPECT_FALSE(path_exists(MDEV_DEVICES "/%s", self->uuid));
	EXPECT_EQ(512LL << 20, sysfs_num(VGPU_PARENT "/mem_free_bytes"));
	EXPECT_EQ(0, sysfs_num(VGPU_PARENT "/vgpus"));
	close(efd);
}

TEST_F(dev, remove_while_open_without_request_irq_waits)
{
	struct remover r = { .uuid = self->uuid, .ret = 1 };
	int kmsg = kmsg_open();
	pthread_t th;

	ASSERT_EQ(0, pthread_create(&th, NULL, remove_thread, &r));
	usleep(500 * 1000);
	EXPECT_EQ(1, r.ret);
	EXPECT_TRUE(kmsg_find(kmsg, "waiting for the user to close"));
	EXPECT_EQ(1, sysfs_num(VGPU_PARENT "/vgpus"));
	vfio_close(&self->h);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(0, sysfs_num(VGPU_PARENT "/vgpus"));
	close(kmsg);
}

TEST_F(dev, unload_refused_while_open)
{
	/* delete_module(O_NONBLOCK) on a module in use: EWOULDBLOCK. */
	EXPECT_EQ(-EWOULDBLOCK, vgpu_unload());
	EXPECT_TRUE(vgpu_loaded());
	EXPECT_TRUE(path_exists(MDEV_DEVICES "/%s", self->uuid));
	EXPECT_EQ(1, sysfs_num(VGPU_PARENT "/vgpus"));
	vfio_close(&self->h);
	/* Once released, unloading tears the vGPU down. */
	EXPECT_EQ(0, vgpu_unload());
	EXPECT_FALSE(path_exists(MDEV_DEVICES "/%s", self->uuid));
	EXPECT_FALSE(vgpu_loaded());
}

TEST_F(dev, reset_and_reopen)
{
	EXPECT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_RESET));
	vfio_close(&self->h);
	ASSERT_EQ(0, vfio_open(self->uuid, &self->h));
	EXPECT_EQ(-1, ioctl(self->h.device, 0x12345678));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_HARNESS_MAIN
