#!/usr/bin/env python3
import subprocess, time, json, sys, os, tempfile, socket
# Times pairing by code against a named room on loopback: from bob's start to his `connected` line.
# Usage: python3 benchmarks/pairing_time.py PATH/TO/secretchat RUNS   (build first: dotnet build src/App/Cli)
exe=sys.argv[1]
def freeport():
    s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1',0)); p=s.getsockname()[1]; s.close(); return p
def run(mode, home):
    port=freeport()
    sig=subprocess.Popen([exe,'signal','--listen',f'127.0.0.1:{port}'],stdout=subprocess.PIPE,stderr=subprocess.DEVNULL,text=True)
    sig.stdout.readline()
    common=['--signal',f'127.0.0.1:{port}','--json']
    def peer(name, extra):
        return subprocess.Popen([exe,'p2p',*extra,*common,'--name',name,'--identity',f'{home}/{name}.key','--known-peers',f'{home}/{name}-kp.json'],
            stdin=subprocess.PIPE,stdout=subprocess.PIPE,stderr=subprocess.DEVNULL,text=True)
    room=f'room{port}'
    alice=peer('alice',['--room',room] if mode=='room' else [])
    if mode=='code':
        while True:
            line=alice.stdout.readline()
            if not line: raise Exception('alice ended')
            e=json.loads(line)
            if e['event']=='code': code=e['code']; break
        t0=time.monotonic(); bob=peer('bob',[code])
    else:
        time.sleep(0.5)  # alice registered first, as a person would be
        t0=time.monotonic(); bob=peer('bob',['--room',room])
    while True:
        line=bob.stdout.readline()
        if not line: raise Exception('bob ended')
        e=json.loads(line)
        if e['event']=='connected': t=time.monotonic()-t0; v=e.get('verified'); break
    for p in (alice,bob):
        p.stdin.close()
    for p in (alice,bob):
        try: p.wait(10)
        except: p.kill()
    sig.terminate(); sig.wait()
    return t, v
res={'code':[],'room':[]}
for i in range(int(sys.argv[2])):
    for mode in ('code','room'):
        home=tempfile.mkdtemp()
        t,v=run(mode,home)
        res[mode].append(t); print(mode, round(t*1000), v, flush=True)
import statistics
for m in res: print(m,'median ms',round(statistics.median(res[m])*1000))
