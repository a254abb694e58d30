#!/bin/sh
echo "$(cat /greeting)! (hostname $(hostname), $(ls /bin | wc -l) busybox applets)"
