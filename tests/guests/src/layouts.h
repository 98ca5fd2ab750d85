/* The probe's output format, shared by layouts.c and layouts_kernel.c. */
#include <stddef.h>
#include <stdio.h>

#define S(name, type) \
    printf(#name " sizeof %zu\n" #name " alignof %zu\n", sizeof(type), _Alignof(type))
#define F(name, type, field) \
    printf(#name "." #field " %zu %zu\n", offsetof(type, field), sizeof(((type *)0)->field))

void kernel_layouts(void);
