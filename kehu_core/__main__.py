from .cli import main

if __name__ == "__main__":  # not when a worker process of kehu serve imports it (multiprocessing's spawn)
    main()
