/* bench/lazy-bench.sh: a real multi-object program, Lua 5.4 (liblua5.4.a,
 * 32 members) run on a script: `print('hello')` by default. */
#include <lua5.4/lauxlib.h>
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    int status = luaL_dostring(L, argc > 1 ? argv[1] : "print('hello')");
    if (status != LUA_OK)
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
    lua_close(L);
    return status;
}
