# Copyright (c) vireid contributors. All rights reserved.
__all__: list = []
