/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu core: the simulated physical device (the mdev parent), its vGPU types
 * and its vGPU instances.
 */
#ifndef VGPU_CORE_H
#define VGPU_CORE_H

#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/list.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/vfio.h>

#include "vgpu_alloc.h"
#include "vgpu_profile.h"

/* Most simulated devices the module creates. */
#define VGPU_MAX_DEVICES	8

struct vgpu;

/**
 * struct vgpu_hw_ops - what a device backend does for the core
 * @name: backend name shown in sysfs
 * @window_create: back @vgpu's memory window and fill it with zeros
 * @window_destroy: release the window's backing
 * @window_clear: zero the whole window (reset, new tenant)
 *
 * The core owns policy (which window, which engines); the backend owns
 * mechanism. The sim backend keeps device memory in host pages.
 */
struct vgpu_hw_ops {
	const char *name;
	int (*window_create)(struct vgpu *vgpu);
	void (*window_destroy)(struct vgpu *vgpu);
	void (*window_clear)(struct vgpu *vgpu);
};

/**
 * struct vgpu_type - an mdev type backed by one profile
 * @mtype: the mdev type handed to the mdev core
 * @index: index of the profile in &vgpu_device.profiles
 * @dev: the device offering the type
 */
struct vgpu_type {
	struct mdev_type mtype;
	int index;
	struct vgpu_device *dev;
};

/**
 * struct vgpu_device - one (simulated) physical device, the parent of vGPUs
 * @dev: the parent device, /sys/class/vgpu/vgpuN
 * @parent: mdev parent embedded in the device
 * @id: N in vgpuN
 * @hw: device backend
 * @mem_size: device memory in bytes
 * @num_engines: engines on the device
 * @nr_profiles: number of entries in @profiles
 * @profiles: the vGPU types this device offers
 * @types: one mdev type per profile
 * @type_list: pointers to @types, as mdev_register_parent() wants them
 * @lock: protects @mem, @engines, @vgpus and @nr_vgpus
 * @mem: device memory allocator
 * @engines: engine partition allocator
 * @vgpus: list of &struct vgpu on this device
 * @nr_vgpus: length of @vgpus
 */
struct vgpu_device {
	struct device dev;
	struct mdev_parent parent;
	unsigned int id;
	const struct vgpu_hw_ops *hw;
	u64 mem_size;
	u32 num_engines;
	unsigned int nr_profiles;
	struct vgpu_profile profiles[VGPU_MAX_PROFILES];
	struct vgpu_type types[VGPU_MAX_PROFILES];
	struct mdev_type *type_list[VGPU_MAX_PROFILES];

	/* protects @mem, @engines, @vgpus and @nr_vgpus */
	struct mutex lock;
	struct vgpu_mem_pool mem;
	struct vgpu_engine_pool engines;
	struct list_head vgpus;
	unsigned int nr_vgpus;
};

/**
 * struct vgpu - one vGPU instance
 * @vdev: the VFIO device a VM opens
 * @dev: the device it was carved from
 * @mdev: its mdev device, /sys/bus/mdev/devices/UUID
 * @profile: index of its profile in &vgpu_device.profiles
 * @mem_offset: offset of its memory window in device memory
 * @mem_size: size of its memory window
 * @part: index of its engine partition in &vgpu_device.engines
 * @node: entry in &vgpu_device.vgpus, under &vgpu_device.lock
 * @pages: backing pages of the window (sim backend)
 * @nr_pages: entries in @pages
 * @irq_lock: protects @req_trigger
 * @req_trigger: eventfd signalled to ask the user to release the device
 */
struct vgpu {
	struct vfio_device vdev;
	struct vgpu_device *dev;
	struct mdev_device *mdev;
	int profile;
	u64 mem_offset;
	u64 mem_size;
	int part;
	struct list_head node;

	struct page **pages;
	unsigned long nr_pages;

	struct mutex irq_lock; /* protects @req_trigger */
	struct eventfd_ctx *req_trigger;
};

static inline struct vgpu_device *to_vgpu_device(struct device *dev)
{
	return container_of(dev, struct vgpu_device, dev);
}

static inline const struct vgpu_profile *vgpu_profile_of(struct vgpu *vgpu)
{
	return &vgpu->dev->profiles[vgpu->profile];
}

/**
 * struct vgpu_config - what the module parameters asked for, validated
 * @mem_size: memory of each device in bytes
 * @num_engines: engines of each device
 * @nr_profiles: entries in @profiles
 * @profiles: the vGPU types of each device
 */
struct vgpu_config {
	u64 mem_size;
	u32 num_engines;
	unsigned int nr_profiles;
	struct vgpu_profile profiles[VGPU_MAX_PROFILES];
};

extern const struct vgpu_hw_ops vgpu_sim_ops;
extern struct mdev_driver vgpu_mdev_driver;
extern const struct attribute_group *vgpu_device_groups[];
extern const struct attribute_group *vgpu_instance_groups[];

struct vgpu_device *vgpu_device_create(unsigned int id,
				       const struct vgpu_config *cfg);
void vgpu_device_destroy(struct vgpu_device *vdev);
int vgpu_class_register(void);
void vgpu_class_unregister(void);

int vgpu_resources_get(struct vgpu *vgpu, int profile);
void vgpu_resources_put(struct vgpu *vgpu);
unsigned int vgpu_type_available(struct vgpu_device *dev, int profile);

#endif /* VGPU_CORE_H */
