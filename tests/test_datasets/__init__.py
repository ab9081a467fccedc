# Copyright (c) vireid contributors. All rights reserved.
