#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-only
#
# check-layers.pl - the driver's files and layers call each other in one
# direction only.
#
# Reads every .c file under drivers/vgpu, finds the non-static functions
# each defines and the ones each calls, and reports:
#   - two files that call into each other (a loop of length two), and
#   - a call from the core (drivers/vgpu/core) into the sim device
#     (drivers/vgpu/sim), the mdev frontend or the PF driver
#     (drivers/vgpu/pf), which must go through the device interface
#     (struct vgpu_device_ops) instead, or into the VFIO migration layer
#     (drivers/vgpu/vfio), which the frontends use; a call from that layer
#     into a device or frontend (it reaches them through struct
#     vgpu_vfio_mig_ops); a call between the PF driver and
#     the sim device or mdev frontend (two devices, no shared code but the
#     core); the pure logic (drivers/vgpu/lib) calls nobody.
# Prints one line per finding and "layers: ok (N files, M calls)" or exits 1.
use strict;
use warnings;

my $top = shift // '.';
my @files = sort split /\n/, `cd '$top' && git ls-files 'drivers/vgpu/*.c'`;
my (%defined_in, %text);

for my $f (@files) {
	open(my $fh, '<', "$top/$f") or die "$f: $!";
	local $/;
	my $t = <$fh>;
	close $fh;
	$t =~ s{/\*.*?\*/}{}gs;		# comments
	$t =~ s{"(?:\\.|[^"\\])*"}{""}g;	# strings
	$text{$f} = $t;
	# A definition: a line starting with a type, the name, "(" and no ";"
	# before the opening brace.
	while ($t =~ /^(?!static\b)[a-z][^\n;=]*?\b(vgpu_\w+)\(([^;{]*?)\)\s*\{/mg) {
		$defined_in{$1} = $f;
	}
}

my (%calls, $ncalls);
for my $f (@files) {
	while ($text{$f} =~ /\b(vgpu_\w+)\s*\(/g) {
		my $g = $defined_in{$1};
		next if !defined $g || $g eq $f;
		$ncalls++ unless $calls{$f}{$g}{$1}++;
	}
}

sub layer { my ($f) = @_; return $f =~ m{^drivers/vgpu/(\w+)/} ? $1 : ''; }

my $bad = 0;
for my $f (@files) {
	for my $g (sort keys %{$calls{$f}}) {
		my @fns = sort keys %{$calls{$f}{$g}};
		if ($calls{$g}{$f} && $f lt $g) {
			my @back = sort keys %{$calls{$g}{$f}};
			print "loop: $f calls $g (@fns) and $g calls $f (@back)\n";
			$bad++;
		}
		my ($lf, $lg) = (layer($f), layer($g));
		if (($lf =~ /^(core|vfio)$/ && $lg =~ /^(sim|mdev|pf|vfio)$/ &&
		     $lf ne $lg) ||
		    ($lf eq 'pf' && $lg =~ /^(sim|mdev)$/) ||
		    ($lf =~ /^(sim|mdev)$/ && $lg eq 'pf') ||
		    ($lf eq 'lib' && $lg ne 'lib')) {
			print "layering: $f ($lf) calls $g ($lg): @fns\n";
			$bad++;
		}
	}
}
exit 1 if $bad;
printf "layers: ok (%d files, %d calls between them)\n", scalar @files,
	$ncalls // 0;
